// Implicit feedback from ratings: the training ratings at or above --positive-rating as positive
// interactions, grouped by user and by item (compressed rows, items and users in increasing
// order), for the ranking models' trainers (implicit ALS, BPR, popularity).
#pragma once

#include <cstdint>
#include <vector>

#include "train/split.h"
#include "train/train_options.h"

namespace collab {

// A training rating is a positive interaction: every one without --implicit, else those at or
// above positive_rating.
inline bool is_positive(const TrainOptions& o, float rating) { return !o.model.implicit || rating >= o.positive_rating; }

struct Interactions {
  size_t user_rows = 0, item_rows = 0;
  // User u's positives: by_user_item[by_user_offset[u], by_user_offset[u + 1]), with their ratings.
  std::vector<std::int64_t> by_user_offset;
  std::vector<std::int32_t> by_user_item;
  std::vector<float> by_user_rating;
  // Item i's positives: by_item_user[by_item_offset[i], by_item_offset[i + 1]).
  std::vector<std::int64_t> by_item_offset;
  std::vector<std::int32_t> by_item_user;
  std::vector<float> by_item_rating;
  // Items in any training rating (positive or not): the candidates of ranking and BPR's negatives.
  std::vector<std::int32_t> trained_items;

  size_t positives() const { return by_user_item.size(); }
  std::int64_t count_of_user(size_t u) const { return by_user_offset[u + 1] - by_user_offset[u]; }
  // Users with a training rating but no positive one (skipped by BPR and ALS).
  size_t users_without_positives = 0;
};

Interactions interactions_of(const RatingSet& train, size_t user_rows, size_t item_rows, const TrainOptions& options);

}  // namespace collab
