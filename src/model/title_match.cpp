#include "model/title_match.h"

#include <algorithm>
#include <cctype>
#include <climits>
#include <cstdlib>
#include <numeric>

#include "support/error.h"

namespace collab {
namespace {

bool starts_with(const std::string& s, const std::string& p) { return s.rfind(p, 0) == 0; }
bool ends_with(const std::string& s, const std::string& p) {
  return s.size() >= p.size() && s.compare(s.size() - p.size(), p.size(), p) == 0;
}

size_t edit_distance(const std::string& a, const std::string& b) {
  std::vector<size_t> row(b.size() + 1);
  std::iota(row.begin(), row.end(), 0);
  for (size_t i = 1; i <= a.size(); ++i) {
    size_t diag = row[0];
    row[0] = i;
    for (size_t j = 1; j <= b.size(); ++j) {
      size_t up = row[j];
      row[j] = std::min({row[j] + 1, row[j - 1] + 1, diag + (a[i - 1] != b[j - 1])});
      diag = up;
    }
  }
  return row[b.size()];
}

}  // namespace

std::string normalise_title(const std::string& title) {
  std::string s;
  for (unsigned char c : title) s += static_cast<char>(c < 0x80 ? std::tolower(c) : c);
  // "Title (1995)" -> "Title"
  if (s.size() >= 7 && s.back() == ')' && s[s.size() - 6] == '(' &&
      std::all_of(s.end() - 5, s.end() - 1, [](char c) { return std::isdigit(static_cast<unsigned char>(c)); }))
    s.resize(s.size() - 6);
  while (!s.empty() && s.back() == ' ') s.pop_back();
  for (const char* article : {", the", ", a", ", an"})
    if (ends_with(s, article)) s.resize(s.size() - std::string(article).size());
  for (const char* article : {"the ", "a ", "an "})
    if (starts_with(s, article)) s = s.substr(std::string(article).size());
  std::string out;
  for (unsigned char c : s)
    if (std::isalnum(c) || c >= 0x80 || c == ' ') out += static_cast<char>(c);
  return out;
}

std::vector<std::string> closest_titles(const Vocabulary& v, const std::string& query, size_t n) {
  const std::string q = normalise_title(query);
  std::vector<std::pair<size_t, size_t>> scored;  // (score, item)
  for (size_t i = 1; i < v.item_titles.size(); ++i) {
    const std::string t = normalise_title(v.item_titles[i]);
    size_t score;
    if (!q.empty() && t.find(q) != std::string::npos) score = t.size() - q.size();  // contains it
    else score = 1000 + edit_distance(q, t);
    scored.emplace_back(score, i);
  }
  const size_t k = std::min(n, scored.size());
  std::partial_sort(scored.begin(), scored.begin() + static_cast<long>(k), scored.end());
  std::vector<std::string> out;
  for (size_t j = 0; j < k; ++j) out.push_back(v.item_titles[scored[j].second]);
  return out;
}

ItemIndex::ItemIndex(const Vocabulary& v) : vocab_(v) {
  for (size_t i = 1; i < v.item_titles.size(); ++i) {
    const auto item = static_cast<std::int32_t>(i);
    exact_.emplace(v.item_titles[i], item);  // the first of equal titles, as find_item
    movie_.emplace(v.item_movie_ids[i], item);
    const std::string n = normalise_title(v.item_titles[i]);
    if (n.empty()) continue;
    auto [it, fresh] = normalised_.emplace(n, item);
    if (!fresh) it->second = -1;
  }
}

std::int32_t ItemIndex::by_title(const std::string& query) const {
  if (vocab_.item_key == ItemKey::movie_id) {  // a movieId, written as find_item compares it, first
    char* end = nullptr;
    const long id = std::strtol(query.c_str(), &end, 10);
    const std::int32_t item = *end == '\0' && !query.empty() && id >= 0 && id <= INT32_MAX ? by_movie_id(static_cast<std::int32_t>(id)) : 0;
    if (item > 0 && std::to_string(id) == query) return item;
  }
  if (auto it = exact_.find(query); it != exact_.end()) return it->second;
  if (auto it = normalised_.find(normalise_title(query)); it != normalised_.end() && it->second > 0) return it->second;
  return find_item(vocab_, query);  // not one item: its message, with suggestions
}

std::int32_t ItemIndex::by_movie_id(std::int32_t movie_id) const {
  auto it = movie_.find(movie_id);
  return it == movie_.end() ? 0 : it->second;
}

std::int32_t find_item(const Vocabulary& v, const std::string& query) {
  if (v.item_key == ItemKey::movie_id) {
    for (size_t i = 1; i < v.item_movie_ids.size(); ++i)
      if (std::to_string(v.item_movie_ids[i]) == query) return static_cast<std::int32_t>(i);
  }
  for (size_t i = 1; i < v.item_titles.size(); ++i)
    if (v.item_titles[i] == query) return static_cast<std::int32_t>(i);
  const std::string q = normalise_title(query);
  std::vector<std::int32_t> same;
  for (size_t i = 1; i < v.item_titles.size() && !q.empty(); ++i)
    if (normalise_title(v.item_titles[i]) == q) same.push_back(static_cast<std::int32_t>(i));
  if (same.size() == 1) return same[0];
  std::string msg = "no item titled '" + query + "' in the model";
  const auto near = same.size() > 1 ? std::vector<std::string>() : closest_titles(v, query, 5);
  std::vector<std::string> offers = near;
  for (auto i : same) offers.push_back(v.item_titles[static_cast<size_t>(i)]);
  if (!offers.empty()) {
    msg += same.size() > 1 ? "; it could be: " : "; closest: ";
    for (size_t k = 0; k < offers.size(); ++k) msg += (k ? " | " : "") + offers[k];
  }
  throw data_error(msg);
}

std::int32_t find_user(const Vocabulary& v, std::int64_t user_id) {
  auto begin = v.user_ids.begin() + 1;
  auto it = std::lower_bound(begin, v.user_ids.end(), user_id);
  if (it == v.user_ids.end() || *it != user_id)
    throw data_error(no_such_user(user_id, {begin, v.user_ids.end()}));
  return static_cast<std::int32_t>(it - v.user_ids.begin());
}

std::string no_such_user(std::int64_t user_id, const std::vector<std::int32_t>& user_ids) {
  const std::string range = user_ids.empty()
                                ? ""
                                : " (its users run from " + std::to_string(user_ids.front()) +
                                      " to " + std::to_string(user_ids.back()) + ")";
  return "no user " + std::to_string(user_id) + " in the model" + range;
}

}  // namespace collab
