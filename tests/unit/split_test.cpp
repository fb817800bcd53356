// The splits other than fastai's random one (random_split_test.cpp), and the rule that orders
// every split's training rows.
#include <gtest/gtest.h>

#include <algorithm>
#include <set>

#include "test_support.h"
#include "train/split.h"

using namespace collab;

namespace {
// Ratings whose timestamps run backwards through the rows, so that time order is not row order.
EncodedRatings timed(int users, int items) {
  EncodedRatings d = test_support::synthetic_ratings(users, items, 0.5, 3);
  d.timestamp.resize(d.size());
  d.movie_id.resize(d.size());
  for (size_t r = 0; r < d.size(); ++r) {
    d.timestamp[r] = static_cast<std::int64_t>(1000000 - r);
    d.movie_id[r] = d.item[r] + 100;
  }
  return d;
}
}  // namespace

TEST(Split, TimeHoldsOutTheLatestShare) {
  const EncodedRatings d = timed(20, 30);
  SplitSpec spec;
  spec.kind = SplitKind::time;
  spec.valid_pct = 0.25;
  const TrainValidSplit s = split_ratings(d, spec);
  EXPECT_EQ(s.valid_rows.size(), static_cast<size_t>(0.25 * static_cast<double>(d.size())));
  std::int64_t latest_train = 0, earliest_valid = INT64_MAX;
  for (auto r : s.train_rows) latest_train = std::max(latest_train, d.timestamp[static_cast<size_t>(r)]);
  for (auto r : s.valid_rows) earliest_valid = std::min(earliest_valid, d.timestamp[static_cast<size_t>(r)]);
  EXPECT_LT(latest_train, earliest_valid);
  EXPECT_EQ(s.train.size() + s.valid.size(), d.size());
}

TEST(Split, UserLastHoldsOutEachUsersLatestRatings) {
  const EncodedRatings d = timed(20, 30);
  SplitSpec spec;
  spec.kind = SplitKind::user_last;
  spec.valid_last = 2;
  const TrainValidSplit s = split_ratings(d, spec);
  std::vector<int> per_user(d.vocabulary.user_rows(), 0);
  for (auto r : s.valid_rows) ++per_user[static_cast<size_t>(d.user[static_cast<size_t>(r)])];
  for (size_t u = 1; u < per_user.size(); ++u) EXPECT_EQ(per_user[u], 2) << u;
  // Each held-out rating is later than every training rating of its user.
  for (auto v : s.valid_rows)
    for (auto t : s.train_rows) {
      if (d.user[static_cast<size_t>(v)] == d.user[static_cast<size_t>(t)]) {
        EXPECT_GT(d.timestamp[static_cast<size_t>(v)], d.timestamp[static_cast<size_t>(t)]);
      }
    }
}

TEST(Split, UserLastRefusesToLeaveAUserNothingToTrainOn) {
  const EncodedRatings d = timed(10, 8);
  SplitSpec spec;
  spec.kind = SplitKind::user_last;
  spec.valid_last = 1000;
  Error e = test_support::expect_error([&] { split_ratings(d, spec); });
  EXPECT_EQ(e.code(), ExitCode::data);
  EXPECT_NE(std::string(e.what()).find("leaves user"), std::string::npos) << e.what();
}

TEST(Split, TimeSplitsNeedTimestamps) {
  EncodedRatings d = test_support::synthetic_ratings(10, 10, 0.5, 3);
  d.has_timestamps = false;
  SplitSpec spec;
  spec.kind = SplitKind::time;
  EXPECT_EQ(test_support::expect_error([&] { split_ratings(d, spec); }).code(), ExitCode::data);
}

TEST(Split, TrainingRowsFollowTheSeedsPermutationWhateverTheSplit) {
  // A split given by its validation rows trains on the same rows in the same order as the random
  // split of the same seed: what makes `collab split` then `train --valid-ratings` reproducible.
  const EncodedRatings d = timed(20, 30);
  const TrainValidSplit random = random_split(d, 0.2, 9);
  RatingColumns file;
  for (auto r : random.valid_rows) {
    file.user_id.push_back(d.vocabulary.user_ids[static_cast<size_t>(d.user[static_cast<size_t>(r)])]);
    file.movie_id.push_back(d.movie_id[static_cast<size_t>(r)]);
    file.rating.push_back(d.rating[static_cast<size_t>(r)]);
  }
  const auto rows = rows_of_ratings_file(d, file, "valid.csv");
  EXPECT_EQ(rows, random.valid_rows);
}

TEST(Split, AValidationFileRowAbsentFromTheDataSetIsNamedWithItsLine) {
  const EncodedRatings d = timed(5, 5);
  RatingColumns file;
  file.user_id = {d.vocabulary.user_ids[static_cast<size_t>(d.user[0])], 999};
  file.movie_id = {d.movie_id[0], 5};
  file.rating = {d.rating[0], 1};
  Error e = test_support::expect_error([&] { rows_of_ratings_file(d, file, "valid.csv"); });
  EXPECT_EQ(e.code(), ExitCode::data);
  EXPECT_NE(std::string(e.what()).find("valid.csv line 3"), std::string::npos) << e.what();
}

TEST(Split, KFoldValidatesEveryRatingExactlyOnce) {
  const EncodedRatings d = timed(20, 30);
  std::multiset<std::int32_t> seen;
  for (int f = 0; f < 5; ++f) {
    const TrainValidSplit s = kfold_split(d, 5, f, 4);
    EXPECT_EQ(s.train.size() + s.valid.size(), d.size());
    seen.insert(s.valid_rows.begin(), s.valid_rows.end());
  }
  EXPECT_EQ(seen.size(), d.size());
  for (size_t r = 0; r < d.size(); ++r) EXPECT_EQ(seen.count(static_cast<std::int32_t>(r)), 1u);
}
