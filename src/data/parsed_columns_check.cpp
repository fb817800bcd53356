#include "data/parsed_columns_check.h"

#include "support/utf8.h"

namespace collab {
namespace {

// Strictly increasing from index 1 on, after the #na# entry `first`.
template <class T>
bool vocabulary_sorted(const std::vector<T>& v, const T& first) {
  if (v.empty() || v[0] != first) return false;
  for (size_t i = 2; i < v.size(); ++i)
    if (!(v[i - 1] < v[i])) return false;
  return true;
}

// Every index in (0, count), each marked used.
void mark_used(const std::int32_t* index, size_t n, std::int32_t count, std::vector<char>& used, bool& ok) {
  for (size_t r = 0; r < n && ok; ++r) {
    ok = index[r] > 0 && index[r] < count;
    if (ok) used[static_cast<size_t>(index[r])] = 1;
  }
}

}  // namespace

bool ParsedColumnsCheck::vocabulary(const Vocabulary& v) {
  users_ = static_cast<std::int32_t>(v.user_ids.size());
  items_ = static_cast<std::int32_t>(v.item_titles.size());
  ok_ = rows_ > 0 && users_ >= 2 && items_ >= 2 && v.item_movie_ids.size() == v.item_titles.size() &&
        v.item_key == source_.item_key && vocabulary_sorted(v.user_ids, -1) && v.user_ids[1] >= 0 &&
        (v.item_key == ItemKey::title ? vocabulary_sorted(v.item_titles, std::string("#na#"))
                                      : vocabulary_sorted(v.item_movie_ids, -1)) &&
        v.item_movie_ids[0] == -1 && v.item_titles[0] == "#na#";
  for (size_t i = 1; ok_ && i < v.item_titles.size(); ++i)
    ok_ = v.item_movie_ids[i] >= 0 && !v.item_titles[i].empty() && valid_utf8(v.item_titles[i]);
  if (ok_) {
    user_used_.assign(static_cast<size_t>(users_), 0);
    item_used_.assign(static_cast<size_t>(items_), 0);
  }
  return ok_;
}

void ParsedColumnsCheck::users(const std::int32_t* u, size_t n) { mark_used(u, n, users_, user_used_, ok_); }

void ParsedColumnsCheck::items(const std::int32_t* i, size_t n) { mark_used(i, n, items_, item_used_, ok_); }

void ParsedColumnsCheck::ratings(const float* r, size_t n) {
  const float lo = source_.format.min_rating, hi = source_.format.max_rating;
  for (size_t k = 0; k < n && ok_; ++k) ok_ = r[k] >= lo && r[k] <= hi;  // false for NaN too
}

void ParsedColumnsCheck::movie_ids(const std::int32_t* m, size_t n) {
  for (size_t k = 0; k < n && ok_; ++k) ok_ = m[k] >= 0;
}

void ParsedColumnsCheck::timestamps(const std::int64_t* t, size_t n, bool has_timestamps) {
  for (size_t k = 0; k < n && ok_ && !has_timestamps; ++k) ok_ = t[k] == 0;
}

bool ParsedColumnsCheck::ok() const {
  if (!ok_ || user_used_.empty()) return false;
  for (std::int32_t u = 1; u < users_; ++u)
    if (!user_used_[static_cast<size_t>(u)]) return false;
  for (std::int32_t i = 1; i < items_; ++i)
    if (!item_used_[static_cast<size_t>(i)]) return false;
  return true;
}

}  // namespace collab
