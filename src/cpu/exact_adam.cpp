// Exact mode's kernels (exact_adam.h).
#include "cpu/exact_adam.h"

#include <immintrin.h>

#include <algorithm>
#include <cmath>

namespace collab {

void flush_denormals_on_this_thread() { _mm_setcsr(_mm_getcsr() | 0x8040); }

__attribute__((target_clones("avx2", "default")))
void adam_update(float* __restrict p, float* __restrict m, float* __restrict rms,
                 float* __restrict g, size_t n, AdamStep<float> c) {
#pragma omp simd
  for (size_t j = 0; j < n; ++j) {
    adam_step_with_gradient(p[j], m[j], rms[j], g[j], c);
    g[j] = 0;
  }
}

__attribute__((target_clones("avx2", "default")))
void adam_update_no_grad(float* __restrict p, float* __restrict m, float* __restrict rms, size_t n,
                         AdamStep<float> c) {
#pragma omp simd
  for (size_t j = 0; j < n; ++j) adam_step_without_gradient(p[j], m[j], rms[j], c);
}

__attribute__((target_clones("avx2", "default")))
void adam_replay_no_grad(float* __restrict p, float* __restrict m, float* __restrict rms, size_t n,
                         const AdamStep<float>* steps, size_t count) {
  constexpr size_t kLanes = 8;
  for (size_t j0 = 0; j0 < n; j0 += kLanes) {
    const size_t lanes = std::min(kLanes, n - j0);
    float pp[kLanes] = {}, mm[kLanes] = {}, rr[kLanes] = {};  // unused lanes stay 0: 0 / eps
    for (size_t l = 0; l < lanes; ++l) pp[l] = p[j0 + l], mm[l] = m[j0 + l], rr[l] = rms[j0 + l];
    for (size_t s = 0; s < count; ++s) {
      const AdamStep<float>& c = steps[s];
#pragma omp simd
      for (size_t l = 0; l < kLanes; ++l) adam_step_without_gradient(pp[l], mm[l], rr[l], c);
    }
    for (size_t l = 0; l < lanes; ++l) p[j0 + l] = pp[l], m[j0 + l] = mm[l], rms[j0 + l] = rr[l];
  }
}

}  // namespace collab
