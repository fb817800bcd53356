// The one table of ratings through the pipeline: users and items as rows of a vocabulary
// (encoding.h), with their ratings, in parallel columns. The encoded data set is one, with each
// rating's movieId and time beside it (encoding.h); a split's training and validation sets are two
// (train/split.h); the rows a model is evaluated on are one, with the ratings' own ids
// (model/evaluation.h); the library's public `Ratings` is its face outside (include/collab).
#pragma once

#include <cstddef>
#include <cstdint>
#include <vector>

namespace collab {

struct RatingSet {
  std::vector<std::int32_t> user;  // rows of the vocabulary's users (0: #na#)
  std::vector<std::int32_t> item;  // rows of its items
  std::vector<float> rating;
  size_t size() const { return rating.size(); }
};

}  // namespace collab
