// Filters that shape a data set before it is split, as the literature's protocols do, applied in
// this order: ratings below a threshold are dropped (RecBole's `val_interval` on the rating), then
// users and items with too few ratings are dropped, again and again until both limits hold (the
// k-core, as RecBole's `user_inter_num_interval` and `item_inter_num_interval`).
//
// Users and items left with no rating leave the vocabulary too, and the rest are renumbered in
// their sorted order (RecBole remaps its ids after filtering the same way): a model trained on
// filtered data has the filtered data set's shape, its reading verbs list no item it never had a
// rating of, and eval rebuilds the same vocabulary by filtering the same way. With no filter set
// nothing is touched, so the unfiltered pipeline is bit for bit what it was.
#pragma once

#include <cstddef>
#include <cstdint>
#include <optional>
#include <string>

#include "data/data_source.h"
#include "data/encoding.h"

namespace collab {

struct RatingFilters {
  std::optional<double> min_rating;  // --min-rating: drop ratings below it
  std::int64_t min_user_ratings =
      0;  // --min-user-ratings: the k-core's limit for users (0, 1: none)
  std::int64_t min_item_ratings = 0;  // --min-item-ratings: its limit for items (0, 1: none)
  bool any() const {
    return min_rating.has_value() || min_user_ratings > 1 || min_item_ratings > 1;
  }
};

// What each filter removed, for the note on stderr and `collab split`'s output.
struct FilterReport {
  std::size_t ratings_before = 0, users_before = 0, items_before = 0;
  std::size_t ratings_after = 0, users_after = 0, items_after = 0;
  std::size_t below_min_rating = 0;  // ratings dropped by --min-rating
  // Ratings the k-core dropped because their user had too few ratings at the time, or else
  // because their item had; a rating both rules drop in one round counts for the user.
  std::size_t by_min_user_ratings = 0, by_min_item_ratings = 0;
  int core_rounds = 0;  // rounds of the k-core that removed something
};

// Applies `filters` to `data` in place (rows keep their order) and says what each removed.
// Explained errors (ExitCode::data), naming the option: a filter that leaves no rating.
FilterReport apply_filters(EncodedRatings& data, const RatingFilters& filters);

// The data source loaded and filtered: what every verb that splits starts from.
EncodedRatings load_filtered(const DataSource& source, const RatingFilters& filters,
                             FilterReport* report = nullptr);

// The options that give `filters`, as a command line would (e.g. "--min-rating 3
// --min-user-ratings 10"); empty when no filter is set.
std::string filter_options_text(const RatingFilters& filters);

// One line for stderr: what each filter removed and what is left.
std::string filter_report_text(const RatingFilters& filters, const FilterReport& report);

}  // namespace collab
