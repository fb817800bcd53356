#include "train/filters.h"

#include <charconv>
#include <vector>

#include "support/error.h"

namespace collab {
namespace {

std::string number_text(double x) {
  char buf[32];
  return std::string(buf, std::to_chars(buf, buf + sizeof buf, x).ptr);
}

// How many of the ids 1.. appear in `column` (row 0 is #na#, never a rating's).
std::size_t distinct(const std::vector<std::int32_t>& column, std::size_t rows) {
  std::vector<char> seen(rows, 0);
  std::size_t n = 0;
  for (auto id : column) {
    char& s = seen[static_cast<std::size_t>(id)];
    if (!s) s = 1, ++n;  // set, not counted up: a char would wrap after 255 ratings
  }
  return n;
}

// Keeps the rows where `keep` is set, in their order, in every column the ratings have.
template <class T>
void compact(std::vector<T>& column, const std::vector<char>& keep) {
  if (column.size() != keep.size()) return;  // a column these ratings do not carry
  std::size_t to = 0;
  for (std::size_t r = 0; r < keep.size(); ++r)
    if (keep[r]) column[to++] = column[r];
  column.resize(to);
}

void keep_rows(EncodedRatings& d, const std::vector<char>& keep) {
  compact(d.user, keep);
  compact(d.item, keep);
  compact(d.rating, keep);
  compact(d.movie_id, keep);
  compact(d.timestamp, keep);
}

// Renumbers ids 1.. of `column` so that those with no rating left are gone, the rest in their
// order; `rows` is the vocabulary's size. Returns, per old id, whether it stays.
std::vector<char> renumber(std::vector<std::int32_t>& column, std::size_t rows) {
  std::vector<char> stays(rows, 0);
  stays[0] = 1;  // #na#
  for (auto id : column) stays[static_cast<std::size_t>(id)] = 1;
  std::vector<std::int32_t> new_id(rows, 0);
  std::int32_t next = 0;
  for (std::size_t id = 0; id < rows; ++id)
    if (stays[id]) new_id[id] = next++;
  for (auto& id : column) id = new_id[static_cast<std::size_t>(id)];
  return stays;
}

template <class T>
void keep_entries(std::vector<T>& v, const std::vector<char>& stays) {
  std::size_t to = 0;
  for (std::size_t i = 0; i < v.size() && i < stays.size(); ++i) {
    if (!stays[i]) continue;
    if (to != i) v[to] = std::move(v[i]);  // a string moved onto itself would be left empty
    ++to;
  }
  v.resize(to);
}

void drop_unrated_from_vocabulary(EncodedRatings& d) {
  Vocabulary& v = d.vocabulary;
  const auto users = renumber(d.user, v.user_rows());
  keep_entries(v.user_ids, users);
  const auto items = renumber(d.item, v.item_rows());
  keep_entries(v.item_titles, items);
  keep_entries(v.item_movie_ids, items);
}

// The k-core: in each round every rating whose user has fewer than `min_user` ratings, or whose
// item has fewer than `min_item`, is dropped (both counted before the round, as RecBole does),
// until a round drops nothing. The result is the largest subset where both limits hold, whatever
// the order of the drops.
void k_core(EncodedRatings& d, std::int64_t min_user, std::int64_t min_item, FilterReport& report) {
  const std::size_t n = d.size();
  std::vector<char> keep(n, 1);
  std::vector<std::int64_t> per_user(d.vocabulary.user_rows()), per_item(d.vocabulary.item_rows());
  for (;;) {
    std::fill(per_user.begin(), per_user.end(), 0);
    std::fill(per_item.begin(), per_item.end(), 0);
    for (std::size_t r = 0; r < n; ++r)
      if (keep[r])
        ++per_user[static_cast<std::size_t>(d.user[r])],
            ++per_item[static_cast<std::size_t>(d.item[r])];
    std::size_t dropped = 0;
    for (std::size_t r = 0; r < n; ++r) {
      if (!keep[r]) continue;
      if (per_user[static_cast<std::size_t>(d.user[r])] < min_user) {
        keep[r] = 0, ++dropped, ++report.by_min_user_ratings;
      } else if (per_item[static_cast<std::size_t>(d.item[r])] < min_item) {
        keep[r] = 0, ++dropped, ++report.by_min_item_ratings;
      }
    }
    if (dropped == 0) break;
    ++report.core_rounds;
  }
  keep_rows(d, keep);
}

}  // namespace

FilterReport apply_filters(EncodedRatings& d, const RatingFilters& f) {
  FilterReport report;
  report.ratings_before = report.ratings_after = d.size();
  if (!f.any()) return report;  // not even counted: the unfiltered path stays as fast as it was
  report.users_before = distinct(d.user, d.vocabulary.user_rows());
  report.items_before = distinct(d.item, d.vocabulary.item_rows());
  if (f.min_rating) {
    std::vector<char> keep(d.size(), 1);
    for (std::size_t r = 0; r < d.size(); ++r)
      if (static_cast<double>(d.rating[r]) < *f.min_rating) keep[r] = 0, ++report.below_min_rating;
    keep_rows(d, keep);
    if (d.size() == 0)
      throw data_error("--min-rating " + number_text(*f.min_rating) + " leaves no rating (all " +
                       std::to_string(report.ratings_before) + " are below it)");
  }
  if (f.min_user_ratings > 1 || f.min_item_ratings > 1) {
    k_core(d, f.min_user_ratings, f.min_item_ratings, report);
    if (d.size() == 0) {
      std::string options;
      if (f.min_user_ratings > 1)
        options += "--min-user-ratings " + std::to_string(f.min_user_ratings);
      if (f.min_item_ratings > 1)
        options += (options.empty() ? "" : " and ") + std::string("--min-item-ratings ") +
                   std::to_string(f.min_item_ratings);
      throw data_error(options + " leave no rating: no subset of the " +
                       std::to_string(report.ratings_before) +
                       " ratings has that many per user and per item");
    }
  }
  drop_unrated_from_vocabulary(d);
  report.ratings_after = d.size();
  report.users_after = d.vocabulary.user_rows() - 1;
  report.items_after = d.vocabulary.item_rows() - 1;
  return report;
}

EncodedRatings load_filtered(const DataSource& source, const RatingFilters& filters,
                             FilterReport* report) {
  EncodedRatings data = load_data_source(source);
  const FilterReport r = apply_filters(data, filters);
  if (report) *report = r;
  return data;
}

std::string filter_options_text(const RatingFilters& f) {
  std::string out;
  auto add = [&](const std::string& option) { out += (out.empty() ? "" : " ") + option; };
  if (f.min_rating) add("--min-rating " + number_text(*f.min_rating));
  if (f.min_user_ratings > 1) add("--min-user-ratings " + std::to_string(f.min_user_ratings));
  if (f.min_item_ratings > 1) add("--min-item-ratings " + std::to_string(f.min_item_ratings));
  return out;
}

std::string filter_report_text(const RatingFilters& f, const FilterReport& r) {
  std::string out;
  auto add = [&](const std::string& part) { out += (out.empty() ? "" : "; ") + part; };
  if (f.min_rating)
    add("--min-rating " + number_text(*f.min_rating) + " removed " +
        std::to_string(r.below_min_rating) + " ratings");
  if (f.min_user_ratings > 1)
    add("--min-user-ratings " + std::to_string(f.min_user_ratings) + " removed " +
        std::to_string(r.by_min_user_ratings) + " ratings");
  if (f.min_item_ratings > 1)
    add("--min-item-ratings " + std::to_string(f.min_item_ratings) + " removed " +
        std::to_string(r.by_min_item_ratings) + " ratings");
  if (f.min_user_ratings > 1 || f.min_item_ratings > 1)
    out += " (k-core, " + std::to_string(r.core_rounds) + " round" +
           (r.core_rounds == 1 ? "" : "s") + ")";
  return out + "; left " + std::to_string(r.ratings_after) + " of " +
         std::to_string(r.ratings_before) + " ratings, " + std::to_string(r.users_after) + " of " +
         std::to_string(r.users_before) + " users, " + std::to_string(r.items_after) + " of " +
         std::to_string(r.items_before) + " items";
}

}  // namespace collab
