// --optimizer als with --implicit: weighted ALS for implicit feedback (Hu, Koren and Volinsky
// 2008). Every user-item cell has preference p = 1 for a positive interaction, else 0, and
// confidence c = 1 + alpha * rating for a positive, else 1; a pass minimises
//   sum over cells of c (p - x_u . y_i)^2 + lambda (|x_u|^2 + |y_i|^2)
// over every user row, then every item row, each with the other side fixed. A row's normal
// equations are
//   (Y^T Y + lambda I + sum over its positives of (c - 1) y_i y_i^T) x = sum over its positives of c y_i
// Y^T Y is computed once a half-pass (the Gram-matrix trick), so a row costs its own positives,
// and the system is solved approximately by a few conjugate-gradient steps from the row's
// current value (Takacs, Pilaszy and Tikk 2011), as the implicit library does.
//
// Rows are solved independently, shared over threads row by row: the bits do not depend on
// the thread count. Users with a training rating but no positive one keep their initial
// factors (counted in a note); rows never seen in training keep theirs too.
#pragma once

#include <cstddef>
#include <cstdint>
#include <memory>

#include "cpu/sparse_adam.h"
#include "train/engine.h"

namespace collab {

// One row's system, by `steps` conjugate-gradient steps from x (updated in place). gram: k x k,
// Y^T Y + lambda I; other: the other side's factor rows (k floats each); the row's positives:
// n rows `index` with confidences `confidence`. scratch: (3 + n) k floats. Stops early once the
// residual vanishes. Runs AVX2 and FMA where the processor has them (KernelPath::best), else, or
// with KernelPath::portable, plain loops; the two agree to rounding.
void conjugate_gradient_row(const float* gram, const float* other, size_t k, const std::int32_t* index,
                            const float* confidence, size_t n, int steps, float* x, float* scratch,
                            KernelPath path = KernelPath::best);

// a . b over k floats, by the AVX2 code where the processor has it.
float best_dot(const float* a, const float* b, size_t k);

std::unique_ptr<TrainingEngine> make_implicit_als_engine(const EngineSetup& setup);

}  // namespace collab
