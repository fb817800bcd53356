// Every metric against values computed by hand on tiny made-up cases.
#include <gtest/gtest.h>

#include <cmath>

#include "model/metrics.h"

using namespace collab;

TEST(RatingMetrics, MatchHandComputedValues) {
  // errors 1, -1, 2, 0: SSE 6, SAE 4; the actual ratings 2, 4, 1, 5 have mean 3 and SST 1+1+4+4 = 10
  const RatingMetrics m = rating_metrics({2, 4, 1, 5}, {3, 3, 3, 5});
  EXPECT_EQ(m.rows, 4u);
  EXPECT_DOUBLE_EQ(m.mse, 6.0 / 4);
  EXPECT_DOUBLE_EQ(m.rmse, std::sqrt(1.5));
  EXPECT_DOUBLE_EQ(m.mae, 4.0 / 4);
  EXPECT_DOUBLE_EQ(m.r2, 1.0 - 6.0 / 10.0);
  EXPECT_TRUE(std::isnan(rating_metrics({}, {}).mse));
}

TEST(RankingMetrics, OneUserWithHitsAtRanksOneAndThree) {
  // top: 7 (hit), 8, 9 (hit); relevant {7, 9, 11}; k = 3.
  const RankingMetrics m = ranking_metrics({{{7, 8, 9}, {7, 9, 11}}}, 3, 10);
  EXPECT_EQ(m.users, 1u);
  EXPECT_DOUBLE_EQ(m.precision, 2.0 / 3);
  EXPECT_DOUBLE_EQ(m.recall, 2.0 / 3);
  const double dcg = 1.0 / std::log2(2) + 1.0 / std::log2(4);
  const double idcg = 1.0 / std::log2(2) + 1.0 / std::log2(3) + 1.0 / std::log2(4);
  EXPECT_DOUBLE_EQ(m.ndcg, dcg / idcg);
  EXPECT_DOUBLE_EQ(m.map, (1.0 / 1 + 2.0 / 3) / 3);  // precision@1 and precision@3, over min(3, 3)
  EXPECT_DOUBLE_EQ(m.hit_rate, 1.0);
  EXPECT_DOUBLE_EQ(m.coverage, 3.0 / 10);
}

TEST(RankingMetrics, FewerCandidatesThanKAndFewerRelevantThanK) {
  // Only two candidates were left to rank, k = 5; one relevant item, found second.
  const RankingMetrics m = ranking_metrics({{{4, 2}, {2}}}, 5, 4);
  EXPECT_DOUBLE_EQ(m.precision, 1.0 / 5);  // hits / k, whatever the list's length
  EXPECT_DOUBLE_EQ(m.recall, 1.0);
  EXPECT_DOUBLE_EQ(m.ndcg, (1.0 / std::log2(3)) / 1.0);  // IDCG over min(k, |relevant|) = 1
  EXPECT_DOUBLE_EQ(m.map, (1.0 / 2) / 1);
  EXPECT_DOUBLE_EQ(m.coverage, 2.0 / 4);
}

TEST(RankingMetrics, AveragesOverUsersWithRelevantItemsOnly) {
  // User A: miss; user B: hit at rank 1; user C has no relevant item and is skipped.
  const RankingMetrics m = ranking_metrics({{{1, 2}, {3}}, {{3, 1}, {3}}, {{1, 2}, {}}}, 2, 3);
  EXPECT_EQ(m.users, 2u);
  EXPECT_DOUBLE_EQ(m.precision, (0.0 + 0.5) / 2);
  EXPECT_DOUBLE_EQ(m.recall, (0.0 + 1.0) / 2);
  EXPECT_DOUBLE_EQ(m.hit_rate, 0.5);
  EXPECT_DOUBLE_EQ(m.ndcg, (0.0 + 1.0) / 2);
  EXPECT_DOUBLE_EQ(m.map, (0.0 + 1.0) / 2);
  EXPECT_DOUBLE_EQ(m.coverage, 3.0 / 3);  // items 1, 2 and 3 were shown to someone
}
