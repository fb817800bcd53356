// Train/validation splits of the encoded ratings: fastai's RandomSplitter (the default), the
// latest ratings by time, each user's latest ratings (leave-last-out), a split given as a file of
// validation ratings, and the folds of k-fold cross-validation.
//
// One rule orders the training rows for every split, so that a split can be written out and
// given back (collab split, then train --valid-ratings) and train the very same model: they are
// the non-validation rows in the order of the seed's permutation of all rows. For the random
// split that is fastai's order (the permutation's tail). Validation rows keep the order the split
// lists them in (the permutation's head; by time; or the file's order).
#pragma once

#include <cstdint>
#include <string>
#include <vector>

#include "data/encoding.h"
#include "data/ratings_loader.h"

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
  std::vector<std::int32_t> train_rows, valid_rows;  // their row numbers in the encoded ratings
};

enum class SplitKind {
  random,     // the first floor(valid_pct * n) rows of the seed's permutation
  time,       // the latest floor(valid_pct * n) ratings by timestamp (ties: the later row)
  user_last,  // each user's latest valid_last ratings by timestamp
  given,      // the rows of a ratings file (train --valid-ratings)
};
std::string split_name(SplitKind k);
SplitKind parse_split(const std::string& name);  // throws a usage error

struct SplitSpec {
  SplitKind kind = SplitKind::random;
  double valid_pct = 0.2;      // random, time
  int valid_last = 1;          // user_last
  std::string valid_ratings;   // given: the file's path
  std::uint64_t seed = 0;      // the permutation that orders the training rows
};

// The split `spec` asks for. Explained errors (ExitCode::data): a time split of ratings without
// timestamps, a user left without training ratings, an empty validation set where one was asked
// for, a --valid-ratings row that is not in the data set (naming the file and line).
TrainValidSplit split_ratings(const EncodedRatings& data, const SplitSpec& spec);

// fastai's RandomSplitter (SplitKind::random).
TrainValidSplit random_split(const EncodedRatings& data, double valid_pct, std::uint64_t seed);

// Fold `fold` of `folds` (KFold with shuffling, as Surprise's cross_validate): the seed's
// permutation cut into `folds` nearly equal parts; part `fold` validates, every rating validates
// in exactly one fold.
TrainValidSplit kfold_split(const EncodedRatings& data, int folds, int fold, std::uint64_t seed);

// A hash of the training and validation rows (user, item, rating, in their order) as 16 hex
// digits: what a model records, so that eval can tell that the data it rebuilds the split from
// is the data the model was trained on.
std::string split_fingerprint(const TrainValidSplit& split);

// The rows of `data` that `rows` (read from `path`, a ratings file in the data set's format) name
// by (userId, movieId), in the file's order; a row not in the data set is a data error naming the
// file and line.
std::vector<std::int32_t> rows_of_ratings_file(const EncodedRatings& data, const RatingColumns& rows,
                                               const std::string& path);

}  // namespace collab
