#include "cpu/sparse_adam.h"

#include "cpu/vector_exp.h"
#include "support/cpu_features.h"

#include <immintrin.h>

#include <algorithm>
#include <cmath>
#include <cstdint>

namespace collab {
namespace {

// The per-step constants of the two geometric series in the drift (see the header): sum over
// k = 1..n of r^k delta^(n-k) = q (delta^n - r^n) / (1 - q) with q = r / delta, or n delta^n
// when q is 1.
struct Series {
  float factor;  // q / (1 - q), or 0 when q is 1
  float
      flat;  // 1 when q is 1, else 0: as numbers rather than a branch, so that the loop vectorises
  explicit Series(double q) {
    const bool is_flat = std::fabs(1 - q) < 1e-6;
    factor = is_flat ? 0.0f : static_cast<float>(q / (1 - q));
    flat = is_flat ? 1.0f : 0.0f;
  }
  float sum(float n, float delta_n, float r_n) const {
    return flat * n * delta_n + factor * (delta_n - r_n);
  }
};

__attribute__((target_clones("arch=x86-64-v3", "default"))) void factors_kernel(
    size_t rows, MissedSteps in, CatchUpFactors out, float log_sqrt_beta2, Series drift,
    Series drift_over_b, float a_scale, float a_over_b_scale, float eps) {
  // Keeps every sum positive: eps / sum and 1 / sum stay finite when a row's decay underflows.
  constexpr float kTiny = 1e-30f;
  const float* __restrict count = in.count;
  const float* __restrict log_decay = in.log_decay;
  const float* __restrict log_beta1 = in.log_beta1;
  float* __restrict keep_out = out.keep;
  float* __restrict m_scale_out = out.m_scale;
  float* __restrict rms_scale_out = out.rms_scale;
  float* __restrict inv_b_out = out.inv_b;
  float* __restrict eps_a_out = out.eps_a;
  for (size_t r0 = 0; r0 < rows; r0 += kLanes)
#pragma omp simd
    for (size_t r = r0; r < r0 + kLanes; ++r) {
      const float n = count[r];
      const float keep = exp_in_vector(log_decay[r]);             // delta^n
      const float m_scale = exp_in_vector(log_beta1[r]);            // beta1^n
      const float rms_scale = exp_in_vector(n * log_sqrt_beta2);  // beta2^(n/2)
      const float mom_over_b = exp_in_vector(log_beta1[r] - n * log_sqrt_beta2);
      const float sum_a = a_scale * drift.sum(n, keep, m_scale) + kTiny;
      const float sum_a_over_b = a_over_b_scale * drift_over_b.sum(n, keep, mom_over_b) + kTiny;
      keep_out[r] = keep;
      m_scale_out[r] = m_scale;
      rms_scale_out[r] = rms_scale;
      inv_b_out[r] = 1.0f / sum_a_over_b;
      eps_a_out[r] = eps / sum_a;
    }
}

}  // namespace

void catch_up_factors(size_t rows, MissedSteps missed, const AdamStep<float>& c, CatchUpFactors out) {
  const double q = static_cast<double>(c.beta1) / c.decay;
  const double q_over_b = q / c.sqrt_beta2;
  factors_kernel(rows, missed, out, std::log(c.sqrt_beta2), Series(q), Series(q_over_b),
                 c.step_size, c.step_size / c.inv_sqrt_debias2, c.eps);
}

namespace {
// Asks for all of a row's cache lines, ahead of its turn: sparse mode's rows are scattered over
// memory and mostly not in cache, and a row's arithmetic keeps the processor from running ahead
// to the next row's loads by itself. How far ahead, and what else was measured: docs/engine.md.
inline void prefetch_row(const RowTable& table, std::int32_t row) {
  const char* at = reinterpret_cast<const char*>(table.params(static_cast<size_t>(row)));
  for (size_t byte = 0; byte < 3 * table.span * sizeof(float); byte += 64) _mm_prefetch(at + byte, _MM_HINT_T0);
}
constexpr size_t kCatchUpAhead = 4;  // rows ahead: covers a miss to L3
constexpr size_t kUpdateAhead = 4;   // the update's rows were just caught up and wait in L3

// The kernels for processors with AVX2 and FMA, by hand: the constants broadcast once, each row's
// spans loaded and stored once (the compiler's vector code for the portable loops below did
// neither; docs/engine.md has the measurement). Spans are whole vectors (a multiple of kLanes,
// 32-byte aligned). The portable kernels are the reference that tests hold these to.
__attribute__((target("avx2,fma"))) void sparse_adam_update_avx2(const RowTable& table, const std::int32_t* rows,
                                                                size_t count, float* gradients, const AdamStep<float>& c) {
  const __m256 beta1 = _mm256_set1_ps(c.beta1), one_minus_beta1 = _mm256_set1_ps(c.one_minus_beta1);
  const __m256 beta2 = _mm256_set1_ps(c.beta2), one_minus_beta2 = _mm256_set1_ps(c.one_minus_beta2);
  const __m256 decay = _mm256_set1_ps(c.decay), step_size = _mm256_set1_ps(c.step_size);
  const __m256 inv_sqrt_debias2 = _mm256_set1_ps(c.inv_sqrt_debias2), eps = _mm256_set1_ps(c.eps);
  const size_t n = table.span;
  for (size_t s = 0; s < std::min(count, kUpdateAhead); ++s) prefetch_row(table, rows[s]);
  for (size_t s = 0; s < count; ++s) {
    if (s + kUpdateAhead < count) prefetch_row(table, rows[s + kUpdateAhead]);
    float* p = table.params(static_cast<size_t>(rows[s]));
    float* m = p + n;
    float* rms = p + 2 * n;
    float* g = gradients + s * n;
    for (size_t j = 0; j < n; j += kLanes) {
      const __m256 grad = _mm256_load_ps(g + j), rms_old = _mm256_load_ps(rms + j);
      const __m256 m_new = _mm256_fmadd_ps(one_minus_beta1, grad, _mm256_mul_ps(beta1, _mm256_load_ps(m + j)));
      const __m256 v_new = _mm256_fmadd_ps(_mm256_mul_ps(one_minus_beta2, grad), grad,
                                           _mm256_mul_ps(_mm256_mul_ps(beta2, rms_old), rms_old));
      const __m256 rms_new = _mm256_sqrt_ps(v_new);
      const __m256 move =
          _mm256_div_ps(_mm256_mul_ps(step_size, m_new), _mm256_fmadd_ps(rms_new, inv_sqrt_debias2, eps));
      _mm256_store_ps(p + j, _mm256_fmsub_ps(_mm256_load_ps(p + j), decay, move));
      _mm256_store_ps(m + j, m_new);
      _mm256_store_ps(rms + j, rms_new);
      _mm256_store_ps(g + j, _mm256_setzero_ps());
    }
  }
}

__attribute__((target("avx2,fma"))) void apply_catch_up_avx2(const RowTable& table, const std::int32_t* rows,
                                                            size_t count, const CatchUpFactors& factors) {
  const size_t n = table.span;
  for (size_t r = 0; r < std::min(count, kCatchUpAhead); ++r) prefetch_row(table, rows[r]);
  for (size_t r = 0; r < count; ++r) {
    if (r + kCatchUpAhead < count) prefetch_row(table, rows[r + kCatchUpAhead]);
    float* p = table.params(static_cast<size_t>(rows[r]));
    float* m = p + n;
    float* rms = p + 2 * n;
    const __m256 keep = _mm256_set1_ps(factors.keep[r]), inv_b = _mm256_set1_ps(factors.inv_b[r]);
    const __m256 eps_a = _mm256_set1_ps(factors.eps_a[r]), m_scale = _mm256_set1_ps(factors.m_scale[r]);
    const __m256 rms_scale = _mm256_set1_ps(factors.rms_scale[r]);
    for (size_t j = 0; j < n; j += kLanes) {
      const __m256 m_old = _mm256_load_ps(m + j), rms_old = _mm256_load_ps(rms + j);
      const __m256 move = _mm256_div_ps(m_old, _mm256_fmadd_ps(rms_old, inv_b, eps_a));
      _mm256_store_ps(p + j, _mm256_fmsub_ps(_mm256_load_ps(p + j), keep, move));
      _mm256_store_ps(m + j, _mm256_mul_ps(m_old, m_scale));
      _mm256_store_ps(rms + j, _mm256_mul_ps(rms_old, rms_scale));
    }
  }
}

// The same arithmetic for any x86-64, as plain loops.
void sparse_adam_update_portable(const RowTable& table, const std::int32_t* rows, size_t count, float* gradients,
                                 const AdamStep<float>& c) {
  const size_t n = table.span;
  for (size_t s = 0; s < count; ++s) {
    float* __restrict p = table.params(static_cast<size_t>(rows[s]));
    float* __restrict m = p + n;
    float* __restrict rms = p + 2 * n;
    float* __restrict g = gradients + s * n;
    for (size_t j = 0; j < n; ++j) {
      adam_step_with_gradient(p[j], m[j], rms[j], g[j], c);
      g[j] = 0;
    }
  }
}

void apply_catch_up_portable(const RowTable& table, const std::int32_t* rows, size_t count,
                             const CatchUpFactors& factors) {
  const size_t n = table.span;
  for (size_t r = 0; r < std::min(count, kCatchUpAhead); ++r) prefetch_row(table, rows[r]);
  for (size_t r = 0; r < count; ++r) {
    if (r + kCatchUpAhead < count) prefetch_row(table, rows[r + kCatchUpAhead]);
    float* __restrict p = table.params(static_cast<size_t>(rows[r]));
    float* __restrict m = p + n;
    float* __restrict rms = p + 2 * n;
    const float keep = factors.keep[r], inv_b = factors.inv_b[r], eps_a = factors.eps_a[r];
    const float m_scale = factors.m_scale[r], rms_scale = factors.rms_scale[r];
    for (size_t j = 0; j < n; ++j) {
      p[j] = p[j] * keep - m[j] / (rms[j] * inv_b + eps_a);
      m[j] *= m_scale;
      rms[j] *= rms_scale;
    }
  }
}

}  // namespace

bool use_avx2(KernelPath path) { return path == KernelPath::best && cpu_has_avx2_and_fma(); }

void sparse_adam_update(const RowTable& table, const std::int32_t* rows, size_t count, float* gradients,
                        const AdamStep<float>& step, KernelPath path) {
  if (use_avx2(path)) sparse_adam_update_avx2(table, rows, count, gradients, step);
  else sparse_adam_update_portable(table, rows, count, gradients, step);
}

void apply_catch_up(const RowTable& table, const std::int32_t* rows, size_t count, const CatchUpFactors& factors,
                    KernelPath path) {
  if (use_avx2(path)) apply_catch_up_avx2(table, rows, count, factors);
  else apply_catch_up_portable(table, rows, count, factors);
}

}  // namespace collab
