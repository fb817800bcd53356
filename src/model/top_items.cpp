#include "model/top_items.h"

#include <immintrin.h>
#include "support/cores.h"

#include <algorithm>
#include <cmath>
#include <limits>
#include <thread>

#include "train/forward.h"

namespace collab {
namespace {

constexpr size_t kUsersAtOnce = 4;  // users whose factors stay in registers
constexpr size_t kItemsAtOnce = 16; // items per inner step: two AVX vectors

// The candidates' factors factor-major (factor j of candidate c at [j * padded + c]) and their
// biases, with the candidate count padded to whole inner steps.
struct CandidateTable {
  std::vector<std::int32_t> items;  // candidate c's item row
  std::vector<float> factors;
  std::vector<float> bias;          // item bias, 0 without biases; padding -inf
  size_t padded = 0, k = 0;
};

CandidateTable candidate_table(const SavedModel& m, bool include_untrained) {
  // The baselines have no factors: a score of k = 0 factors plus the item's own term.
  const NamedTensor* F = m.shape.has_factors() ? &m.weights.get(tables::item_factors) : nullptr;
  const std::vector<char> trained = m.items_trained();
  CandidateTable t;
  t.k = F ? static_cast<size_t>(F->cols()) : 0;
  for (size_t i = 1; i < trained.size(); ++i)
    if (include_untrained || trained[i]) t.items.push_back(static_cast<std::int32_t>(i));
  t.padded = (t.items.size() + kItemsAtOnce - 1) / kItemsAtOnce * kItemsAtOnce;
  t.factors.assign(t.k * t.padded, 0.0f);
  t.bias.assign(t.padded, -std::numeric_limits<float>::infinity());
  const bool popularity = m.shape.arch == Arch::popularity;
  const NamedTensor* B = m.weights.find(popularity ? tables::item_count : tables::item_bias);
  if (!m.shape.has_bias() && !popularity) B = nullptr;
  const float mu = m.shape.arch == Arch::baseline ? m.weights.get(tables::global_mean).values[0] : 0.0f;
  for (size_t c = 0; c < t.items.size(); ++c) {
    const auto item = static_cast<size_t>(t.items[c]);
    for (size_t j = 0; j < t.k; ++j) t.factors[j * t.padded + c] = F->values[item * t.k + j];
    t.bias[c] = B ? mu + B->values[item] : 0.0f;
  }
  return t;
}

// Scores (user . item + item bias) of kUsersAtOnce users against every candidate: the plain
// loop, and the same with AVX2 and FMA, accumulators in eight registers (four users x sixteen
// items), for processors that have them (chosen at run time; top_items_test compares the lists).
void score_block_plain(const CandidateTable& t, const float* const* user_factors, float* const* out) {
  for (size_t c0 = 0; c0 < t.padded; c0 += kItemsAtOnce) {
    float acc[kUsersAtOnce][kItemsAtOnce] = {};
    for (size_t j = 0; j < t.k; ++j) {
      const float* f = t.factors.data() + j * t.padded + c0;
      for (size_t u = 0; u < kUsersAtOnce; ++u)
        for (size_t c = 0; c < kItemsAtOnce; ++c) acc[u][c] += user_factors[u][j] * f[c];
    }
    for (size_t u = 0; u < kUsersAtOnce; ++u)
      for (size_t c = 0; c < kItemsAtOnce; ++c) out[u][c0 + c] = acc[u][c] + t.bias[c0 + c];
  }
}

__attribute__((target("avx2,fma")))
void score_block_avx2(const CandidateTable& t, const float* const* user_factors, float* const* out) {
  static_assert(kUsersAtOnce == 4 && kItemsAtOnce == 16, "the registers below hold 4 x 16");
  for (size_t c0 = 0; c0 < t.padded; c0 += kItemsAtOnce) {
    __m256 a0 = _mm256_setzero_ps(), a1 = a0, b0 = a0, b1 = a0, c0v = a0, c1 = a0, d0 = a0, d1 = a0;
    const float* f = t.factors.data() + c0;
    for (size_t j = 0; j < t.k; ++j, f += t.padded) {
      const __m256 lo = _mm256_loadu_ps(f), hi = _mm256_loadu_ps(f + 8);
      const __m256 x0 = _mm256_broadcast_ss(user_factors[0] + j), x1 = _mm256_broadcast_ss(user_factors[1] + j);
      const __m256 x2 = _mm256_broadcast_ss(user_factors[2] + j), x3 = _mm256_broadcast_ss(user_factors[3] + j);
      a0 = _mm256_fmadd_ps(x0, lo, a0), a1 = _mm256_fmadd_ps(x0, hi, a1);
      b0 = _mm256_fmadd_ps(x1, lo, b0), b1 = _mm256_fmadd_ps(x1, hi, b1);
      c0v = _mm256_fmadd_ps(x2, lo, c0v), c1 = _mm256_fmadd_ps(x2, hi, c1);
      d0 = _mm256_fmadd_ps(x3, lo, d0), d1 = _mm256_fmadd_ps(x3, hi, d1);
    }
    const __m256 bias_lo = _mm256_loadu_ps(t.bias.data() + c0), bias_hi = _mm256_loadu_ps(t.bias.data() + c0 + 8);
    const __m256 acc[4][2] = {{a0, a1}, {b0, b1}, {c0v, c1}, {d0, d1}};
    for (size_t u = 0; u < 4; ++u) {
      _mm256_storeu_ps(out[u] + c0, _mm256_add_ps(acc[u][0], bias_lo));
      _mm256_storeu_ps(out[u] + c0 + 8, _mm256_add_ps(acc[u][1], bias_hi));
    }
  }
}

void score_block(const CandidateTable& t, const float* const* user_factors, float* const* out) {
  static const bool avx2 = __builtin_cpu_supports("avx2") && __builtin_cpu_supports("fma");
  if (avx2) score_block_avx2(t, user_factors, out);
  else score_block_plain(t, user_factors, out);
}

constexpr size_t kScanChunk = 64;

float chunk_max(const float* x, size_t n) {
  float m = -std::numeric_limits<float>::infinity();
#pragma omp simd reduction(max : m)
  for (size_t i = 0; i < n; ++i) m = std::max(m, x[i]);
  return m;
}

// The k best candidates of one user's scores, rated items excluded, best first; ties by item row.
std::vector<ScoredItem> best_of(const SavedModel& m, const CandidateTable& t, std::int32_t user, float* scores,
                                const std::vector<std::int32_t>& position_of_item, size_t k) {
  const auto u = static_cast<size_t>(user);
  constexpr float kExcluded = -std::numeric_limits<float>::infinity();
  for (auto r = m.rated_offsets[u]; r < m.rated_offsets[u + 1]; ++r) {
    const std::int32_t p = position_of_item[static_cast<size_t>(m.rated_items[static_cast<size_t>(r)])];
    if (p >= 0) scores[p] = kExcluded;
  }
  // A min-heap of the best so far: a new candidate enters only when it beats the worst of them.
  // Once the heap is full, a chunk whose best score is below the worst kept is skipped after one
  // vectorised maximum: most are, and the scan then costs a fraction of the scoring.
  auto better = [&](size_t a, size_t b) { return scores[a] != scores[b] ? scores[a] > scores[b] : a < b; };
  std::vector<size_t> heap;
  heap.reserve(k + 1);
  const size_t n = t.items.size();
  for (size_t first = 0; first < n; first += kScanChunk) {
    const size_t last = std::min(n, first + kScanChunk);
    if (heap.size() == k && k > 0 && chunk_max(scores + first, last - first) < scores[heap.front()]) continue;
    for (size_t c = first; c < last; ++c) {
      if (scores[c] == kExcluded) continue;
      if (heap.size() < k) {
        heap.push_back(c);
        std::push_heap(heap.begin(), heap.end(), better);
      } else if (better(c, heap.front())) {
        std::pop_heap(heap.begin(), heap.end(), better);
        heap.back() = c;
        std::push_heap(heap.begin(), heap.end(), better);
      }
    }
  }
  std::sort(heap.begin(), heap.end(), better);
  const float user_bias = m.shape.has_bias() ? m.weights.get(tables::user_bias).values[u] : 0.0f;
  std::vector<ScoredItem> out;
  out.reserve(heap.size());
  for (size_t c : heap) {
    const std::int32_t item = t.items[c];
    out.push_back({item, m.vocabulary.item_titles[static_cast<size_t>(item)],
                   embedding_output(m.shape, scores[c] + user_bias)});
  }
  return out;
}

}  // namespace

void top_items_for_users(const SavedModel& m, const std::vector<std::int32_t>& users, const TopItemsOptions& o,
                         const std::function<void(std::int32_t, std::vector<ScoredItem>&)>& emit) {
  if (m.shape.arch == Arch::nn) {  // no dot product to block: one prediction at a time
    for (auto u : users) {
      auto list = recommend_items(m, u, o.k, o.include_untrained);
      emit(u, list);
    }
    return;
  }
  const CandidateTable t = candidate_table(m, o.include_untrained);
  std::vector<std::int32_t> position_of_item(m.vocabulary.item_rows(), -1);
  for (size_t c = 0; c < t.items.size(); ++c) position_of_item[static_cast<size_t>(t.items[c])] = static_cast<std::int32_t>(c);
  const std::vector<float> zeros(std::max<size_t>(t.k, 1), 0.0f);
  const NamedTensor* U = m.shape.has_factors() ? &m.weights.get(tables::user_factors) : nullptr;
  const int threads = std::max(1, o.threads > 0 ? o.threads : usable_cores());

  // Users go in rounds: each thread takes every threads-th block of kUsersAtOnce in the round,
  // then the round's lists are emitted in order.
  constexpr size_t kRound = 512;
  std::vector<std::vector<ScoredItem>> lists(kRound);
  std::vector<std::vector<float>> scores(static_cast<size_t>(threads), std::vector<float>(kUsersAtOnce * t.padded));
  for (size_t first = 0; first < users.size(); first += kRound) {
    const size_t count = std::min(kRound, users.size() - first);
    auto work = [&](int part) {
      float* rows[kUsersAtOnce];
      const float* factors[kUsersAtOnce];
      for (size_t u = 0; u < kUsersAtOnce; ++u) rows[u] = scores[static_cast<size_t>(part)].data() + u * t.padded;
      for (size_t b = static_cast<size_t>(part) * kUsersAtOnce; b < count; b += static_cast<size_t>(threads) * kUsersAtOnce) {
        const size_t in_block = std::min(kUsersAtOnce, count - b);
        for (size_t u = 0; u < kUsersAtOnce; ++u)
          factors[u] = u < in_block && U ? U->values.data() + static_cast<size_t>(users[first + b + u]) * t.k : zeros.data();
        score_block(t, factors, rows);
        for (size_t u = 0; u < in_block; ++u)
          lists[b + u] = best_of(m, t, users[first + b + u], rows[u], position_of_item, o.k);
      }
    };
    std::vector<std::thread> helpers;
    for (int part = 1; part < threads; ++part) helpers.emplace_back(work, part);
    work(0);
    for (auto& h : helpers) h.join();
    for (size_t i = 0; i < count; ++i) emit(users[first + i], lists[i]);
  }
}

}  // namespace collab
