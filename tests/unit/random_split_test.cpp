#include <gtest/gtest.h>

#include <algorithm>
#include <set>

#include "train/split.h"
#include "test_support.h"

using namespace collab;

TEST(RandomSplit, HoldsOutTheFlooredShareAndKeepsEveryRowOnce) {
  EncodedRatings d = test_support::synthetic_ratings(30, 40, 0.5, 1);
  const auto s = random_split(d, 0.2, 7);
  EXPECT_EQ(s.valid.size(), static_cast<size_t>(0.2 * static_cast<double>(d.size())));
  EXPECT_EQ(s.train.size() + s.valid.size(), d.size());
  std::multiset<std::tuple<int, int, float>> all, split;
  for (size_t r = 0; r < d.size(); ++r) all.insert({d.user[r], d.item[r], d.rating[r]});
  for (const auto* set : {&s.train, &s.valid})
    for (size_t r = 0; r < set->size(); ++r) split.insert({set->user[r], set->item[r], set->rating[r]});
  EXPECT_EQ(all, split);
}

TEST(RandomSplit, RepeatsForASeedAndDiffersAcrossSeeds) {
  EncodedRatings d = test_support::synthetic_ratings(30, 40, 0.5, 1);
  EXPECT_EQ(random_split(d, 0.2, 7).valid.user, random_split(d, 0.2, 7).valid.user);
  EXPECT_NE(random_split(d, 0.2, 7).valid.user, random_split(d, 0.2, 8).valid.user);
}

TEST(RandomSplit, RejectsAShareOutsideZeroToOne) {
  EncodedRatings d = test_support::synthetic_ratings(5, 5, 1.0, 1);
  EXPECT_EQ(test_support::expect_error([&] { random_split(d, 1.5, 1); }).code(), ExitCode::usage);
}

// Large splits gather their columns on several cores: every rating must still be the one its row
// number names, in the permutation's order.
TEST(RandomSplit, GathersEachRowsColumnsWhateverTheCoresShare) {
  EncodedRatings d = test_support::synthetic_ratings(1000, 1500, 0.4, 3);  // 600,000 ratings
  ASSERT_GT(d.size(), size_t{1} << 19);
  const auto s = random_split(d, 0.2, 5);
  for (const auto& [set, rows] : {std::pair{&s.train, &s.train_rows}, std::pair{&s.valid, &s.valid_rows}}) {
    ASSERT_EQ(set->size(), rows->size());
    for (size_t k = 0; k < rows->size(); ++k) {
      const auto r = static_cast<size_t>((*rows)[k]);
      ASSERT_EQ(set->user[k], d.user[r]) << k;
      ASSERT_EQ(set->item[k], d.item[r]) << k;
      ASSERT_EQ(set->rating[k], d.rating[r]) << k;
    }
  }
}
