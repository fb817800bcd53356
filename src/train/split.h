// The random train/validation split of fastai's RandomSplitter.
#pragma once

#include <cstdint>
#include <vector>

#include "data/encoding.h"

namespace collab {

// Ratings as three parallel columns, the form the trainers take.
struct RatingSet {
  std::vector<std::int32_t> user;
  std::vector<std::int32_t> item;
  std::vector<float> rating;
  size_t size() const { return rating.size(); }
};

struct TrainValidSplit {
  RatingSet train;
  RatingSet valid;
};

// Shuffles the row numbers and takes the first floor(valid_pct * n) as validation, as fastai does.
TrainValidSplit random_split(const EncodedRatings& data, double valid_pct, std::uint64_t seed);

}  // namespace collab
