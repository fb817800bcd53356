// Train/validation splits of the encoded ratings: fastai's RandomSplitter (the default), the
// latest ratings by time, each user's latest ratings (leave-last-out), each user's share at random
// or by time (Microsoft Recommenders' stratified and chronological splits), a split given as a
// file of validation ratings, and the folds of k-fold cross-validation. The share splits can also
// hold out test rows (`test_pct`) that neither train nor validate.
//
// One rule orders the training rows for every split, so that a split can be written out and
// given back (collab split, then train --valid-ratings) and train the very same model: they are
// the non-validation rows in the order of the seed's permutation of all rows. For the random
// split that is fastai's order (the permutation's tail). Validation rows keep the order the split
// lists them in (the permutation's head; by time; or the file's order).
//
// Per-user shares, Recommenders' rule (python_stratified_split and python_chrono_split since
// 2022): a user's n ratings in order (the seed's permutation for user-random, time for user-time)
// are ranked k = 1..n; rank k trains when k/n <= 1 - valid_pct - test_pct, validates when
// k/n <= (1 - valid_pct - test_pct) + valid_pct (the shares summed in doubles, as Recommenders'
// np.cumsum sums them: not always 1 - test_pct), and is a test row otherwise. So
// floor((1 - valid_pct - test_pct) * n) train and the held-out share is rounded up: 2 ratings at
// 20% give one each way. A user left with no training rating by this (one rating) keeps one, and
// so stays whole in training.
#pragma once

#include <cstdint>
#include <string>
#include <vector>

#include "data/encoding.h"
#include "data/ratings_loader.h"

namespace collab {

struct TrainValidSplit {
  RatingSet train;
  RatingSet valid;
  std::vector<std::int32_t> train_rows, valid_rows;  // their row numbers in the encoded ratings
  std::vector<std::int32_t> test_rows;  // held out of both (test_pct), in the split's order
  std::size_t users_kept_whole = 0;     // per-user splits: users with every rating in training
};

enum class SplitKind {
  random,     // the first floor(valid_pct * n) rows of the seed's permutation
  time,       // the latest floor(valid_pct * n) ratings by timestamp (ties: the later row)
  user_last,  // each user's latest valid_last ratings by timestamp
  user_random,  // each user's share valid_pct at random (the seed's permutation)
  user_time,    // each user's latest share valid_pct by timestamp
  given,      // the rows of a ratings file (train --valid-ratings)
};
std::string split_name(SplitKind k);
SplitKind parse_split(const std::string& name);  // throws a usage error

struct SplitSpec {
  SplitKind kind = SplitKind::random;
  double valid_pct = 0.2;      // random, time, user_random, user_time
  double test_pct = 0;         // the same four: a share held out of training and validation
  int valid_last = 1;          // user_last
  std::string valid_ratings;   // given: the file's path
};

// The split `spec` asks for, `seed` choosing the permutation that orders the training rows (and
// the random splits' validation rows): a training run's own seed. Explained errors (ExitCode::data): a time split of ratings without
// timestamps, a user left without training ratings, an empty validation set where one was asked
// for, an empty test set where one was asked for, a --valid-ratings row that is not in the data
// set (naming the file and line). Usage errors: shares that add up to 1 or more, test_pct on a
// split that has no share (user_last, given).
TrainValidSplit split_ratings(const EncodedRatings& data, const SplitSpec& spec, std::uint64_t seed);

// Whether `spec` asks for validation rows: every split but a random one with valid_pct 0, which
// trains on every rating. Where it does, an empty validation set is an error and a validation loss
// that stops being finite is divergence; where it does not, the validation loss is NaN.
bool asks_for_validation(const SplitSpec& spec);

// The usage errors of split_ratings, found without the data: shares out of range or adding up to
// 1 or more, test_pct on a split that has no share. Verbs call it before loading anything.
void check_split_spec(const SplitSpec& spec);

// How a user's n ratings divide under the per-user share rule above.
struct UserShare {
  std::int64_t train = 0, valid = 0, test = 0;
};
UserShare user_share(std::int64_t n, double valid_pct, double test_pct);

// The seed's permutation of all n rows: the random split's, and the order of every split's
// training rows.
std::vector<std::int32_t> split_permutation(size_t n, std::uint64_t seed);

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
