// Evaluation metrics as plain free functions over plain data (as LIBMF's calc_rmse), each checked
// against values computed by hand in tests/unit/metrics_test.cpp.
#pragma once

#include <cstddef>
#include <cstdint>
#include <vector>

namespace collab {

struct RatingMetrics {
  double mse = 0, rmse = 0, mae = 0;
  double r2 = 0;  // 1 - SSE / SST, SST around the mean of the actual ratings
  size_t rows = 0;
};

// Over every pair (actual[i], predicted[i]); NaN metrics for no rows.
RatingMetrics rating_metrics(const std::vector<float>& actual, const std::vector<double>& predicted);

// One ranked user: the items recommended, best first (at most k are read), and the items that
// are relevant to the user (those of the user's validation ratings at or above the threshold).
struct RankedUser {
  std::vector<std::int32_t> top;
  std::vector<std::int32_t> relevant;
};

struct RankingMetrics {
  int k = 10;
  double precision = 0;  // hits / k
  double recall = 0;     // hits / |relevant|
  double ndcg = 0;       // DCG / IDCG, binary gain, discount 1 / log2(rank + 1), IDCG over min(k, |relevant|)
  double map = 0;        // sum over hit ranks i <= k of precision@i, / min(k, |relevant|)
  double hit_rate = 0;   // share of users with a hit
  double coverage = 0;   // distinct items in some top-k / `catalogue`
  size_t users = 0;      // users ranked (those with a relevant item)
};

// Averages over the users with at least one relevant item; `catalogue` is how many items could
// have been recommended (the trained items).
RankingMetrics ranking_metrics(const std::vector<RankedUser>& users, int k, size_t catalogue);

}  // namespace collab
