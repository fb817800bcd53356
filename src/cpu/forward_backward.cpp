// The forward and backward pass (forward_backward.h).
#include "cpu/forward_backward.h"

#include "train/forward.h"

#include <immintrin.h>

#include <algorithm>
#include <cmath>
#include <limits>

#include "cpu/vector_exp.h"

namespace collab {
namespace {

// The dot product of two factor rows, with eight partial sums so that it vectorises.
inline float dot_product_body(const float* __restrict a, const float* __restrict b, size_t n) {
  float partial[8] = {};
  size_t j = 0;
  for (; j + 8 <= n; j += 8)
#pragma omp simd
    for (size_t l = 0; l < 8; ++l) partial[l] += a[j + l] * b[j + l];
  float s = 0;
  for (; j < n; ++j) s += a[j] * b[j];
  for (float x : partial) s += x;
  return s;
}

// The scores (before sigmoid_range) of n ratings, each independent of the others.
inline void scores_body(const Example* ratings, size_t n, const ForwardModel& m, float* z) {
  for (size_t b = 0; b < n; ++b) {
    const float* pu = m.params + static_cast<size_t>(ratings[b].user_row) * m.row_floats;
    const float* pi = m.params + static_cast<size_t>(ratings[b].item_row) * m.row_floats;
    z[b] = dot_product_body(pu, pi, m.k) + (m.has_bias ? pu[m.k] + pi[m.k] : 0.0f);
  }
}

// Turns the scores of bs ratings of a batch of `divisor` into d loss / d score, in place, and
// returns their sum of squared errors; each error (prediction - rating) also into `diffs` when
// given. The sigmoids eight at a time with vector_exp.h where vector_sigmoid, else
// with libm.
inline double errors_body(const Example* batch, size_t bs, const ForwardModel& m, bool vector_sigmoid, float* dz,
                          size_t divisor, float* diffs) {
  vector_sigmoid = vector_sigmoid && m.has_range;
  if (vector_sigmoid)
#pragma omp simd
    for (size_t b = 0; b < bs; ++b) dz[b] = 1.0f / (1.0f + exp_in_vector(-dz[b]));
  double loss = 0;
  for (size_t b = 0; b < bs; ++b) {
    const float z = dz[b];
    float pred = z, dpred_dz = 1.0f;
    if (m.has_range) {
      const float s = vector_sigmoid ? z : 1.0f / (1.0f + std::exp(-z));
      pred = m.low + m.span * s;
      dpred_dz = m.span * s * (1.0f - s);
    }
    const float diff = pred - batch[b].rating;
    loss += static_cast<double>(diff) * diff;
    dz[b] = 2.0f * diff / static_cast<float>(divisor) * dpred_dz;
    if (diffs) diffs[b] = diff;
  }
  return loss;
}

}  // namespace

// Validation's rows are scattered over the whole table and mostly not in cache, so each rating's
// two rows are asked for a few ratings ahead.
__attribute__((target_clones("avx2", "default")))
void validation_scores(const Example* ratings, size_t n, const ForwardModel& m, float* z) {
  constexpr size_t kAhead = 8;
  const size_t row_bytes = (m.k + 1) * sizeof(float);  // the factors and the bias
  auto prefetch = [&](std::int32_t row) {
    const char* at = reinterpret_cast<const char*>(m.params + static_cast<size_t>(row) * m.row_floats);
    for (size_t byte = 0; byte < row_bytes; byte += 64) _mm_prefetch(at + byte, _MM_HINT_T0);
  };
  for (size_t b = 0; b < std::min(n, kAhead); ++b) prefetch(ratings[b].user_row), prefetch(ratings[b].item_row);
  for (size_t first = 0; first < n; first += kAhead) {
    const size_t count = std::min(kAhead, n - first);
    for (size_t b = first + kAhead; b < std::min(n, first + 2 * kAhead); ++b)
      prefetch(ratings[b].user_row), prefetch(ratings[b].item_row);
    scores_body(ratings + first, count, m, z + first);
  }
}

namespace {

// In three passes (scores, errors, gradients), each rating independent of the others within a
// pass, so that the processor overlaps their long chains of dependent arithmetic (a dot product,
// its reduction, an exponential); the gradients still accumulate in rating order, so the bits
// are those of a rating-at-a-time loop.
// d loss / d param of each rating added into its two slots, in rating order; only into slots in
// [owned_first, owned_last) (every slot by default), so that threads can share a batch's
// gradients by slot and still sum each slot's contributions in rating order.
inline void gradients_body(const Example* batch, const std::int32_t* slots, size_t bs, const ForwardModel& m,
                           const float* dz, std::int32_t owned_first = 0,
                           std::int32_t owned_last = std::numeric_limits<std::int32_t>::max()) {
  const size_t k = m.k;
  auto row = [&](std::int32_t r) { return m.params + static_cast<size_t>(r) * m.row_floats; };
  for (size_t b = 0; b < bs; ++b) {
    const float* pu = row(batch[b].user_row);
    const float* pi = row(batch[b].item_row);
    const std::int32_t su = slots[2 * b], si = slots[2 * b + 1];
    float* __restrict gu = m.gradients + static_cast<size_t>(su) * m.slot_floats;
    float* __restrict gi = m.gradients + static_cast<size_t>(si) * m.slot_floats;
    const float d = dz[b];
    const bool mine_u = su >= owned_first && su < owned_last, mine_i = si >= owned_first && si < owned_last;
    if (mine_u && mine_i) {
#pragma omp simd
      for (size_t j = 0; j < k; ++j) {
        gu[j] += d * pi[j];
        gi[j] += d * pu[j];
      }
    } else if (mine_u) {
#pragma omp simd
      for (size_t j = 0; j < k; ++j) gu[j] += d * pi[j];
    } else if (mine_i) {
#pragma omp simd
      for (size_t j = 0; j < k; ++j) gi[j] += d * pu[j];
    }
    if (m.has_bias) {
      if (mine_u) gu[k] += d;
      if (mine_i) gi[k] += d;
    }
  }
}

inline double forward_backward_body(const Example* batch, const std::int32_t* slots, size_t bs,
                                    const ForwardModel& m, float* dz, bool vector_sigmoid) {
  scores_body(batch, bs, m, dz);
  const double loss = errors_body(batch, bs, m, vector_sigmoid, dz, bs, nullptr);
  gradients_body(batch, slots, bs, m, dz);
  return loss;
}

// Sparse mode's pass on processors without AVX2 and FMA: the plain pass, with its sigmoids
// eight at a time.
__attribute__((target_clones("avx2", "default")))
double sparse_forward_backward_plain(const Example* batch, const std::int32_t* slots, size_t bs,
                                     const ForwardModel& m, float* dz) {
  return forward_backward_body(batch, slots, bs, m, dz, true);
}

// The sparse-mode pass by hand, each row as whole vectors. The bias, at lane k, is masked out
// of the dot product and replaced by 1 (d score / d bias) in the gradients; the padding after
// it is zero and stays so. Two partial sums so that the FMAs overlap.
__attribute__((target("avx2,fma"))) void sparse_scores_avx2(const Example* batch, size_t bs, const ForwardModel& m,
                                                             float* z) {
  const size_t vectors = m.slot_floats / 8;
  const size_t bias_vector = m.k / 8;  // the vector holding lane k
  alignas(32) float is_bias[8] = {};
  if (m.has_bias) is_bias[m.k % 8] = 1.0f;
  const __m256 bias_lane = _mm256_cmp_ps(_mm256_load_ps(is_bias), _mm256_setzero_ps(), _CMP_NEQ_OQ);
  auto row = [&](std::int32_t r) { return m.params + static_cast<size_t>(r) * m.row_floats; };
  for (size_t b = 0; b < bs; ++b) {
    const float* pu = row(batch[b].user_row);
    const float* pi = row(batch[b].item_row);
    __m256 even = _mm256_setzero_ps(), odd = _mm256_setzero_ps();
    for (size_t v = 0; v < vectors; ++v) {
      __m256 u = _mm256_load_ps(pu + 8 * v);
      if (v == bias_vector) u = _mm256_andnot_ps(bias_lane, u);
      if (v % 2) odd = _mm256_fmadd_ps(u, _mm256_load_ps(pi + 8 * v), odd);
      else even = _mm256_fmadd_ps(u, _mm256_load_ps(pi + 8 * v), even);
    }
    const __m256 sum8 = _mm256_add_ps(even, odd);
    __m128 sum = _mm_add_ps(_mm256_castps256_ps128(sum8), _mm256_extractf128_ps(sum8, 1));
    sum = _mm_add_ps(sum, _mm_movehl_ps(sum, sum));
    sum = _mm_add_ss(sum, _mm_movehdup_ps(sum));
    z[b] = _mm_cvtss_f32(sum) + (m.has_bias ? pu[m.k] + pi[m.k] : 0.0f);
  }
}

// kOwnedOnly: only slots in [owned_first, owned_last) are written (threads sharing a step); the
// one-thread pass goes without the checks.
template <bool kOwnedOnly>
__attribute__((target("avx2,fma"))) void sparse_gradients_avx2(const Example* batch, const std::int32_t* slots,
                                                                size_t bs, const ForwardModel& m, const float* dz,
                                                                std::int32_t owned_first, std::int32_t owned_last) {
  const size_t vectors = m.slot_floats / 8;
  const size_t bias_vector = m.k / 8;
  alignas(32) float is_bias[8] = {};
  if (m.has_bias) is_bias[m.k % 8] = 1.0f;
  const __m256 bias_lane = _mm256_cmp_ps(_mm256_load_ps(is_bias), _mm256_setzero_ps(), _CMP_NEQ_OQ);
  const __m256 ones = _mm256_set1_ps(1.0f);
  auto row = [&](std::int32_t r) { return m.params + static_cast<size_t>(r) * m.row_floats; };
  for (size_t b = 0; b < bs; ++b) {
    const float* pu = row(batch[b].user_row);
    const float* pi = row(batch[b].item_row);
    const std::int32_t su = slots[2 * b], si = slots[2 * b + 1];
    const bool mine_u = !kOwnedOnly || (su >= owned_first && su < owned_last);
    const bool mine_i = !kOwnedOnly || (si >= owned_first && si < owned_last);
    if (!mine_u && !mine_i) continue;
    float* gu = m.gradients + static_cast<size_t>(su) * m.slot_floats;
    float* gi = m.gradients + static_cast<size_t>(si) * m.slot_floats;
    const __m256 d = _mm256_set1_ps(dz[b]);
    for (size_t v = 0; v < vectors; ++v) {
      __m256 u = _mm256_load_ps(pu + 8 * v), i = _mm256_load_ps(pi + 8 * v);
      if (v == bias_vector) u = _mm256_blendv_ps(u, ones, bias_lane), i = _mm256_blendv_ps(i, ones, bias_lane);
      if (mine_u) _mm256_store_ps(gu + 8 * v, _mm256_fmadd_ps(d, i, _mm256_load_ps(gu + 8 * v)));
      if (mine_i) _mm256_store_ps(gi + 8 * v, _mm256_fmadd_ps(d, u, _mm256_load_ps(gi + 8 * v)));
    }
  }
}

// Sparse mode's errors, their sigmoids eight at a time with AVX2.
__attribute__((target("avx2,fma"))) double sparse_errors_avx2(const Example* ratings, size_t n, const ForwardModel& m,
                                                               float* dz, size_t bs, float* diffs) {
  return errors_body(ratings, n, m, true, dz, bs, diffs);
}

// The sparse-mode pass by hand, each row as whole vectors. The bias, at lane k, is masked out
// of the dot product and replaced by 1 (d score / d bias) in the gradients; the padding after
// it is zero and stays so. Two partial sums so that the FMAs overlap.
double sparse_forward_backward_avx2(const Example* batch, const std::int32_t* slots, size_t bs, const ForwardModel& m,
                                    float* dz) {
  sparse_scores_avx2(batch, bs, m, dz);
  const double loss = sparse_errors_avx2(batch, bs, m, dz, bs, nullptr);
  sparse_gradients_avx2<false>(batch, slots, bs, m, dz, 0, 0);
  return loss;
}

__attribute__((target_clones("avx2", "default")))
double batch_errors_plain(const Example* ratings, size_t n, size_t bs, const ForwardModel& m, bool vector_sigmoid,
                          float* dz, float* diffs) {
  scores_body(ratings, n, m, dz);
  return errors_body(ratings, n, m, vector_sigmoid, dz, bs, diffs);
}

__attribute__((target_clones("avx2", "default")))
void batch_gradients_plain(const Example* batch, const std::int32_t* slots, size_t bs, const ForwardModel& m,
                           const float* dz, std::int32_t owned_first, std::int32_t owned_last) {
  gradients_body(batch, slots, bs, m, dz, owned_first, owned_last);
}

}  // namespace

// Exact mode's pass: libm's sigmoid, no FMA, the same bits on every x86-64.
__attribute__((target_clones("avx2", "default")))
double batch_forward_backward(const Example* batch, const std::int32_t* slots, size_t bs, const ForwardModel& m,
                              float* dz) {
  return forward_backward_body(batch, slots, bs, m, dz, false);
}

double sparse_forward_backward(const Example* batch, const std::int32_t* slots, size_t bs, const ForwardModel& m,
                               float* dz, KernelPath path) {
  if (use_avx2(path)) return sparse_forward_backward_avx2(batch, slots, bs, m, dz);
  return sparse_forward_backward_plain(batch, slots, bs, m, dz);
}

double batch_errors(const Example* ratings, size_t n, size_t bs, const ForwardModel& m, bool sparse, float* dz,
                    float* diffs, KernelPath path) {
  if (sparse && use_avx2(path)) {
    sparse_scores_avx2(ratings, n, m, dz);
    return sparse_errors_avx2(ratings, n, m, dz, bs, diffs);
  }
  return batch_errors_plain(ratings, n, bs, m, sparse, dz, diffs);
}

void squared_errors(const Example* ratings, size_t n, const ForwardModel& m, const ModelShape& shape, double* out) {
  constexpr size_t kChunk = 256;
  float z[kChunk];
  for (size_t first = 0; first < n; first += kChunk) {
    const size_t count = std::min(kChunk, n - first);
    validation_scores(ratings + first, count, m, z);
    for (size_t r = 0; r < count; ++r) {
      const double diff = embedding_output(shape, z[r]) - ratings[first + r].rating;
      out[first + r] = diff * diff;
    }
  }
}

void batch_gradients(const Example* batch, const std::int32_t* slots, size_t bs, const ForwardModel& m, bool sparse,
                     const float* dz, KernelPath path, std::int32_t owned_first, std::int32_t owned_last) {
  if (sparse && use_avx2(path)) return sparse_gradients_avx2<true>(batch, slots, bs, m, dz, owned_first, owned_last);
  batch_gradients_plain(batch, slots, bs, m, dz, owned_first, owned_last);
}

}  // namespace collab
