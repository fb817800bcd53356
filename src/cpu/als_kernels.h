// Implicit ALS's row kernels (cpu/implicit_als.h): the Gram matrix's outer products, a row's
// conjugate-gradient solve (AVX2 and FMA beside plain loops, held close by a test) and the dot
// products the engine's objective takes.
#pragma once

#include <cstddef>
#include <cstdint>

#include "cpu/sparse_adam.h"

namespace collab {

// a . b over k floats, in order.
inline float plain_dot(const float* a, const float* b, size_t k) {
  float s = 0;
  for (size_t j = 0; j < k; ++j) s += a[j] * b[j];
  return s;
}

// out = gram . v (gram: k x k).
inline void gram_times(const float* gram, const float* v, size_t k, float* out) {
  for (size_t a = 0; a < k; ++a) out[a] = plain_dot(gram + a * k, v, k);
}

// a . b over k floats, by the AVX2 code where the processor has it.
float best_dot(const float* a, const float* b, size_t k);

// out = gram . v for a symmetric gram, by the AVX2 code where the processor has it (the sums in
// another order than gram_times's).
void best_gram_times(const float* gram, const float* v, size_t k, float* out);

// g (k x k, upper triangle) += y y^T for the `count` rows `rows` of `other`.
void add_outer_products(const float* other, const std::int32_t* rows, size_t count, size_t k, double* g);

// One row's system, by `steps` conjugate-gradient steps from x (updated in place). gram: k x k,
// Y^T Y + lambda I (symmetric); other: the other side's factor rows (k floats each); the row's positives:
// n rows `index` with confidences `confidence`. scratch: (3 + n) k floats. Stops early once the
// residual vanishes. Runs AVX2 and FMA where the processor has them (KernelPath::best), else, or
// with KernelPath::portable, plain loops; the two agree to rounding. With `objective`, also the
// positives' share of the row's objective at the new x, sum of (c - 1) s^2 - 2 c s + c with
// s = x . y (from the gathered rows, while they are in cache).
void conjugate_gradient_row(const float* gram, const float* other, size_t k, const std::int32_t* index,
                            const float* confidence, size_t n, int steps, float* x, float* scratch,
                            KernelPath path = KernelPath::best, double* objective = nullptr);

}  // namespace collab
