// The splits other than fastai's random one (random_split_test.cpp), and the rule that orders
// every split's training rows.
#include <gtest/gtest.h>

#include <algorithm>
#include <cstdint>
#include <numeric>
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
  const TrainValidSplit s = split_ratings(d, spec, 0);
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
  const TrainValidSplit s = split_ratings(d, spec, 0);
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
  Error e = test_support::expect_error([&] { split_ratings(d, spec, 0); });
  EXPECT_EQ(e.code(), ExitCode::data);
  EXPECT_NE(std::string(e.what()).find("leaves user"), std::string::npos) << e.what();
}

TEST(Split, TimeSplitsNeedTimestamps) {
  EncodedRatings d = test_support::synthetic_ratings(10, 10, 0.5, 3);
  d.has_timestamps = false;
  SplitSpec spec;
  spec.kind = SplitKind::time;
  EXPECT_EQ(test_support::expect_error([&] { split_ratings(d, spec, 0); }).code(), ExitCode::data);
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

TEST(Split, UserShareFollowsRecommendersRankRule) {
  // Rank k of n trains when k/n <= 1 - valid - test, validates when k/n <= 1 - test.
  auto share = [](std::int64_t n, double valid, double test) {
    const UserShare s = user_share(n, valid, test);
    return std::vector<std::int64_t>{s.train, s.valid, s.test};
  };
  using V = std::vector<std::int64_t>;
  EXPECT_EQ(share(1, 0.2, 0), (V{1, 0, 0}));  // too few to give one: whole in training
  EXPECT_EQ(share(2, 0.2, 0), (V{1, 1, 0}));  // 1/2 <= 0.8 < 2/2
  EXPECT_EQ(share(3, 0.2, 0), (V{2, 1, 0}));
  EXPECT_EQ(share(4, 0.25, 0), (V{3, 1, 0}));  // 3/4 = 0.75 exactly
  EXPECT_EQ(share(5, 0.2, 0), (V{4, 1, 0}));   // 4/5 = 0.8 exactly
  EXPECT_EQ(share(6, 0.25, 0), (V{4, 2, 0}));  // floor(4.5) train: the held-out share rounds up
  EXPECT_EQ(share(10, 0.1, 0.1), (V{8, 1, 1}));
  EXPECT_EQ(share(25, 0.1, 0.1), (V{20, 2, 3}));
  EXPECT_EQ(share(2, 0.6, 0), (V{1, 1, 0}));  // 1/2 > 0.4, but one rating always trains
  EXPECT_EQ(test_support::expect_error([&] { user_share(5, 0.6, 0.4); }).code(), ExitCode::usage);
}

namespace {
std::vector<std::int64_t> held_out_per_user(const EncodedRatings& d, const std::vector<std::int32_t>& rows) {
  std::vector<std::int64_t> n(d.vocabulary.user_rows(), 0);
  for (auto r : rows) ++n[static_cast<size_t>(d.user[static_cast<size_t>(r)])];
  return n;
}
}  // namespace

TEST(Split, UserRandomHoldsOutEachUsersShareAndKeepsOneRatingUsersWhole) {
  EncodedRatings d = timed(30, 12);
  // A user with a single rating: stays whole in training, counted.
  d.vocabulary.user_ids.push_back(10000);
  d.user.push_back(static_cast<std::int32_t>(d.vocabulary.user_rows() - 1));
  d.item.push_back(1);
  d.rating.push_back(4);
  d.timestamp.push_back(5);
  d.movie_id.push_back(101);
  SplitSpec spec;
  spec.kind = SplitKind::user_random;
  spec.valid_pct = 0.25;
  spec.test_pct = 0.1;
  const TrainValidSplit s = split_ratings(d, spec, 3);
  const auto total = held_out_per_user(d, [&] {
    std::vector<std::int32_t> all(d.size());
    std::iota(all.begin(), all.end(), 0);
    return all;
  }());
  const auto valid = held_out_per_user(d, s.valid_rows), test = held_out_per_user(d, s.test_rows);
  size_t whole = 0;
  for (size_t u = 1; u < total.size(); ++u) {
    const UserShare want = user_share(total[u], 0.25, 0.1);
    EXPECT_EQ(valid[u], want.valid) << u;
    EXPECT_EQ(test[u], want.test) << u;
    if (want.train == total[u]) ++whole;
  }
  EXPECT_EQ(s.users_kept_whole, whole);
  EXPECT_GE(whole, 1u);
  EXPECT_EQ(s.train.size() + s.valid.size() + s.test_rows.size(), d.size());
  // Another seed draws other rows.
  EXPECT_NE(split_ratings(d, spec, 4).valid_rows, s.valid_rows);
}

TEST(Split, UserTimeHoldsOutEachUsersLatestRatingsTestLatestOfAll) {
  const EncodedRatings d = timed(20, 30);
  SplitSpec spec;
  spec.kind = SplitKind::user_time;
  spec.valid_pct = 0.2;
  spec.test_pct = 0.2;
  const TrainValidSplit s = split_ratings(d, spec, 0);
  // Per user: every training rating is earlier than every validation rating, which is earlier
  // than every test rating.
  const size_t users = d.vocabulary.user_rows();
  std::vector<std::int64_t> last_train(users, INT64_MIN), first_valid(users, INT64_MAX), last_valid(users, INT64_MIN),
      first_test(users, INT64_MAX);
  auto t = [&](std::int32_t r) { return d.timestamp[static_cast<size_t>(r)]; };
  auto u = [&](std::int32_t r) { return static_cast<size_t>(d.user[static_cast<size_t>(r)]); };
  for (auto r : s.train_rows) last_train[u(r)] = std::max(last_train[u(r)], t(r));
  for (auto r : s.valid_rows) first_valid[u(r)] = std::min(first_valid[u(r)], t(r)), last_valid[u(r)] = std::max(last_valid[u(r)], t(r));
  for (auto r : s.test_rows) first_test[u(r)] = std::min(first_test[u(r)], t(r));
  for (size_t k = 1; k < users; ++k) {
    EXPECT_LT(last_train[k], first_valid[k]) << k;
    EXPECT_LT(last_valid[k], first_test[k]) << k;
  }
  // Validation rows are listed in time order.
  for (size_t i = 1; i < s.valid_rows.size(); ++i) EXPECT_LE(t(s.valid_rows[i - 1]), t(s.valid_rows[i]));
}

TEST(Split, TestRowsFollowTheValidationRowsOfTheRandomSplitAndNeverTrain) {
  const EncodedRatings d = timed(20, 30);
  SplitSpec spec;
  spec.valid_pct = 0.2;
  spec.test_pct = 0.1;
  const TrainValidSplit three = split_ratings(d, spec, 9);
  const TrainValidSplit two = random_split(d, 0.2, 9);
  EXPECT_EQ(three.valid_rows, two.valid_rows);  // fastai's validation rows, unchanged
  EXPECT_EQ(three.test_rows.size(), static_cast<size_t>(0.1 * static_cast<double>(d.size())));
  // Training: the two-way split's training rows, less the test rows, in the same order.
  std::set<std::int32_t> test(three.test_rows.begin(), three.test_rows.end());
  std::vector<std::int32_t> expected;
  for (auto r : two.train_rows)
    if (!test.count(r)) expected.push_back(r);
  EXPECT_EQ(three.train_rows, expected);
}

TEST(Split, SharesThatLeaveNothingToTrainOnOrTestRowsWithoutAShareAreUsageErrors) {
  const EncodedRatings d = timed(5, 5);
  SplitSpec spec;
  spec.valid_pct = 0.5;
  spec.test_pct = 0.5;
  Error e = test_support::expect_error([&] { split_ratings(d, spec, 0); });
  EXPECT_EQ(e.code(), ExitCode::usage);
  EXPECT_NE(std::string(e.what()).find("--test-pct"), std::string::npos) << e.what();
  spec.kind = SplitKind::user_last;
  spec.valid_pct = 0.2;
  spec.test_pct = 0.1;
  e = test_support::expect_error([&] { split_ratings(d, spec, 0); });
  EXPECT_EQ(e.code(), ExitCode::usage);
  EXPECT_NE(std::string(e.what()).find("--test-pct needs a split by shares"), std::string::npos) << e.what();
}
