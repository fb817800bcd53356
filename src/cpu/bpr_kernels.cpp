#include "cpu/bpr_kernels.h"

#include <immintrin.h>

#include "cpu/vector_exp.h"

namespace collab {
namespace {

#define COLLAB_AVX2 __attribute__((target("avx2,fma")))

// log(1 + e) for e in [0, 1], as 2 atanh(z) with z = e / (2 + e) <= 1/3: its odd series to z^17
// (the rest is under 1e-9 of it). No branch, so a loop of them becomes vector code.
inline float log1p_unit_in_vector(float e) {
  const float z = e / (2.0f + e), z2 = z * z;
  float s = 1.0f / 17;
  s = s * z2 + 1.0f / 15;
  s = s * z2 + 1.0f / 13;
  s = s * z2 + 1.0f / 11;
  s = s * z2 + 1.0f / 9;
  s = s * z2 + 1.0f / 7;
  s = s * z2 + 1.0f / 5;
  s = s * z2 + 1.0f / 3;
  s = s * z2 + 1.0f;
  return 2.0f * z * s;
}

// The pass's mask for the bias lane: where the user's row holds its bias, the score takes 1
// instead (so that p_u' . (q_i - q_j) adds b_i - b_j), and the user's gradient there is 0 (b_u
// cancels).
COLLAB_AVX2 __m256 bias_mask(const BprRows& m, size_t v) {
  alignas(32) float is_bias[8] = {};
  if (m.has_bias && v == m.k / 8) is_bias[m.k % 8] = 1.0f;
  return _mm256_cmp_ps(_mm256_load_ps(is_bias), _mm256_setzero_ps(), _CMP_NEQ_OQ);
}

COLLAB_AVX2 float horizontal_sum(__m256 v) {
  __m128 s = _mm_add_ps(_mm256_castps256_ps128(v), _mm256_extractf128_ps(v, 1));
  s = _mm_add_ps(s, _mm_movehl_ps(s, s));
  s = _mm_add_ss(s, _mm_movehdup_ps(s));
  return _mm_cvtss_f32(s);
}

// x[t] = p_u' . (q_i - q_j) for every triple; the next triple's rows asked for ahead.
COLLAB_AVX2 void bpr_scores(const BprRows& m, const std::int32_t* rows, size_t n, float* x) {
  const size_t vectors = m.span / 8;
  const __m256 bias_lane = bias_mask(m, m.k / 8), ones = _mm256_set1_ps(1.0f);
  auto row = [&](std::int32_t r) { return m.params + static_cast<size_t>(r) * m.row_floats; };
  for (size_t t = 0; t < n; ++t) {
    const float *pu = row(rows[3 * t]), *qi = row(rows[3 * t + 1]), *qj = row(rows[3 * t + 2]);
    __m256 even = _mm256_setzero_ps(), odd = _mm256_setzero_ps();
    for (size_t v = 0; v < vectors; ++v) {
      __m256 u = _mm256_load_ps(pu + 8 * v);
      if (v == m.k / 8) u = _mm256_blendv_ps(u, ones, bias_lane);
      const __m256 d = _mm256_sub_ps(_mm256_load_ps(qi + 8 * v), _mm256_load_ps(qj + 8 * v));
      if (v % 2) odd = _mm256_fmadd_ps(u, d, odd);
      else even = _mm256_fmadd_ps(u, d, even);
    }
    x[t] = horizontal_sum(_mm256_add_ps(even, odd));
  }
}

// Each triple's loss softplus(-x) into the sum, and x replaced by its d loss / d x times scale,
// -scale sigmoid(-x): eight at a time.
COLLAB_AVX2 double bpr_losses(float* x, size_t n, float scale) {
  for (size_t t = n; t < (n + 7) / 8 * 8; ++t) x[t] = 0.0f;
  double sum = 0;
  for (size_t t0 = 0; t0 < n; t0 += 8) {
    float loss[8];
#pragma omp simd
    for (size_t i = 0; i < 8; ++i) {
      const float v = x[t0 + i], a = v < 0 ? -v : v;
      const float e = exp_in_vector(-a);
      loss[i] = log1p_unit_in_vector(e) + (v < 0 ? -v : 0.0f);
      x[t0 + i] = -scale * (v > 0 ? e : 1.0f) / (1.0f + e);
    }
    for (size_t i = 0; i < 8 && t0 + i < n; ++i) sum += loss[i];
  }
  return sum;
}

COLLAB_AVX2 void bpr_gradients(const BprRows& m, const std::int32_t* rows, const std::int32_t* slots, size_t n,
                               const float* g) {
  const size_t vectors = m.span / 8;
  const __m256 bias_lane = bias_mask(m, m.k / 8), ones = _mm256_set1_ps(1.0f), zero = _mm256_setzero_ps();
  auto row = [&](std::int32_t r) { return m.params + static_cast<size_t>(r) * m.row_floats; };
  auto slot = [&](std::int32_t s) { return m.gradients + static_cast<size_t>(s) * m.span; };
  for (size_t t = 0; t < n; ++t) {
    const float *pu = row(rows[3 * t]), *qi = row(rows[3 * t + 1]), *qj = row(rows[3 * t + 2]);
    float *gu = slot(slots[3 * t]), *gi = slot(slots[3 * t + 1]), *gj = slot(slots[3 * t + 2]);
    const __m256 d = _mm256_set1_ps(g[t]);
    for (size_t v = 0; v < vectors; ++v) {
      __m256 u = _mm256_load_ps(pu + 8 * v);
      __m256 diff = _mm256_sub_ps(_mm256_load_ps(qi + 8 * v), _mm256_load_ps(qj + 8 * v));
      if (v == m.k / 8) u = _mm256_blendv_ps(u, ones, bias_lane), diff = _mm256_blendv_ps(diff, zero, bias_lane);
      _mm256_store_ps(gu + 8 * v, _mm256_fmadd_ps(d, diff, _mm256_load_ps(gu + 8 * v)));
      _mm256_store_ps(gi + 8 * v, _mm256_fmadd_ps(d, u, _mm256_load_ps(gi + 8 * v)));
      _mm256_store_ps(gj + 8 * v, _mm256_fnmadd_ps(d, u, _mm256_load_ps(gj + 8 * v)));
    }
  }
}

}  // namespace

double bpr_batch_avx2(const BprRows& m, const std::int32_t* rows, const std::int32_t* slots, size_t n, float scale,
                      float* x) {
  bpr_scores(m, rows, n, x);
  const double loss = bpr_losses(x, n, scale);
  bpr_gradients(m, rows, slots, n, x);
  return loss;
}

}  // namespace collab
