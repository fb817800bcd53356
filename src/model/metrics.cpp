#include "model/metrics.h"

#include <algorithm>
#include <cmath>
#include <unordered_set>

namespace collab {

RatingMetrics rating_metrics(const std::vector<float>& actual, const std::vector<double>& predicted) {
  RatingMetrics m;
  m.rows = actual.size();
  if (m.rows == 0) {
    m.mse = m.rmse = m.mae = m.r2 = std::nan("");
    return m;
  }
  double sse = 0, sae = 0, mean = 0;
  for (size_t i = 0; i < m.rows; ++i) {
    const double diff = predicted[i] - actual[i];
    sse += diff * diff;
    sae += std::fabs(diff);
    mean += actual[i];
  }
  mean /= static_cast<double>(m.rows);
  double sst = 0;
  for (float a : actual) sst += (a - mean) * (a - mean);
  m.mse = sse / static_cast<double>(m.rows);
  m.rmse = std::sqrt(m.mse);
  m.mae = sae / static_cast<double>(m.rows);
  m.r2 = sst > 0 ? 1.0 - sse / sst : std::nan("");
  return m;
}

RankingMetrics ranking_metrics(const std::vector<RankedUser>& users, int k, size_t catalogue) {
  RankingMetrics m;
  m.k = k;
  std::unordered_set<std::int32_t> shown;
  const auto kk = static_cast<size_t>(k);
  for (const RankedUser& u : users) {
    if (u.relevant.empty()) continue;
    ++m.users;
    const std::unordered_set<std::int32_t> relevant(u.relevant.begin(), u.relevant.end());
    const size_t ideal = std::min(kk, relevant.size());
    size_t hits = 0;
    double dcg = 0, idcg = 0, precision_sum = 0;
    for (size_t r = 0; r < std::min(kk, u.top.size()); ++r) {
      shown.insert(u.top[r]);
      if (!relevant.count(u.top[r])) continue;
      ++hits;
      dcg += 1.0 / std::log2(static_cast<double>(r) + 2.0);
      precision_sum += static_cast<double>(hits) / static_cast<double>(r + 1);
    }
    for (size_t r = 0; r < ideal; ++r) idcg += 1.0 / std::log2(static_cast<double>(r) + 2.0);
    m.precision += static_cast<double>(hits) / static_cast<double>(kk);
    m.recall += static_cast<double>(hits) / static_cast<double>(relevant.size());
    m.ndcg += dcg / idcg;
    m.map += precision_sum / static_cast<double>(ideal);
    m.hit_rate += hits > 0 ? 1.0 : 0.0;
  }
  if (m.users == 0) {
    m.precision = m.recall = m.ndcg = m.map = m.hit_rate = std::nan("");
  } else {
    for (double* x : {&m.precision, &m.recall, &m.ndcg, &m.map, &m.hit_rate}) *x /= static_cast<double>(m.users);
  }
  m.coverage = catalogue > 0 ? static_cast<double>(shown.size()) / static_cast<double>(catalogue) : std::nan("");
  return m;
}

}  // namespace collab
