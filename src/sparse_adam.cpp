#include "collab/sparse_adam.h"

#include "collab/vector_exp.h"

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
  const float* __restrict log_mom = in.log_mom;
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
      const float m_scale = exp_in_vector(log_mom[r]);            // beta1^n
      const float rms_scale = exp_in_vector(n * log_sqrt_beta2);  // beta2^(n/2)
      const float mom_over_b = exp_in_vector(log_mom[r] - n * log_sqrt_beta2);
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

void catch_up_factors(size_t rows, MissedSteps missed, const AdamStep& c, CatchUpFactors out) {
  const double q = static_cast<double>(c.mom) / c.decay;
  const double q_over_b = q / c.sqrt_beta2;
  factors_kernel(rows, missed, out, std::log(c.sqrt_beta2), Series(q), Series(q_over_b),
                 c.step_size, c.step_size / c.inv_sqrt_debias2, c.eps);
}

namespace {
// A row's span, which starts on a vector boundary.
inline float* aligned(float* span) { return static_cast<float*>(__builtin_assume_aligned(span, 32)); }
}  // namespace

// Asks for all of a row's cache lines, ahead of its turn: sparse mode's rows are scattered over
// memory and mostly not in cache, and a row's arithmetic keeps the processor from running ahead
// to the next row's loads by itself. (Prefetching the next batch's rows a whole step ahead, or
// a row or two per row updated, was tried: the rows arrived no sooner and the steps that asked
// for them slowed down as much.)
inline void prefetch_row(const RowTable& table, std::int32_t row) {
  const char* at = reinterpret_cast<const char*>(table.params(static_cast<size_t>(row)));
  for (size_t byte = 0; byte < 3 * table.span * sizeof(float); byte += 64) _mm_prefetch(at + byte, _MM_HINT_T0);
}

// Spans are whole vectors (a multiple of kLanes, 32-byte aligned): each loop below is one vector
// per pass, with none of the alignment and remainder code a general loop starts with, which
// costs more than the arithmetic on rows this short.
__attribute__((target_clones("arch=x86-64-v3", "default"))) void sparse_adam_update(
    const RowTable& table, const std::int32_t* rows, size_t count, float* gradients, const AdamStep& step) {
  const AdamStep c = step;
  const size_t n = table.span;
  for (size_t s = 0; s < count; ++s) {
    float* __restrict p = aligned(table.params(static_cast<size_t>(rows[s])));
    float* __restrict m = aligned(p + n);
    float* __restrict rms = aligned(p + 2 * n);
    float* __restrict g = aligned(gradients + s * n);
    for (size_t j0 = 0; j0 < n; j0 += kLanes) {
#pragma omp simd
      for (size_t j = j0; j < j0 + kLanes; ++j) {
        adam_step_with_gradient(p[j], m[j], rms[j], g[j], c);
        g[j] = 0;
      }
    }
  }
}

__attribute__((target_clones("arch=x86-64-v3", "default"))) void apply_catch_up(
    const RowTable& table, const std::int32_t* rows, size_t count, const CatchUpFactors& factors) {
  constexpr size_t kAhead = 4;  // rows: covers a miss to L3 (2, 4 and 8 measured within 3%)
  const size_t n = table.span;
  for (size_t r = 0; r < std::min(count, kAhead); ++r) prefetch_row(table, rows[r]);
  for (size_t r = 0; r < count; ++r) {
    if (r + kAhead < count) prefetch_row(table, rows[r + kAhead]);
    float* __restrict p = aligned(table.params(static_cast<size_t>(rows[r])));
    float* __restrict m = aligned(p + n);
    float* __restrict rms = aligned(p + 2 * n);
    const float keep = factors.keep[r], inv_b = factors.inv_b[r], eps_a = factors.eps_a[r];
    const float m_scale = factors.m_scale[r], rms_scale = factors.rms_scale[r];
    for (size_t j0 = 0; j0 < n; j0 += kLanes) {
#pragma omp simd
      for (size_t j = j0; j < j0 + kLanes; ++j) {
        p[j] = p[j] * keep - m[j] / (rms[j] * inv_b + eps_a);
        m[j] *= m_scale;
        rms[j] *= rms_scale;
      }
    }
  }
}

}  // namespace collab
