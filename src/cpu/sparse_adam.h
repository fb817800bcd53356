// Sparse mode's kernels (--optimizer sparse-adam): fastai's Adam on the rows a batch touches, and
// the catch-up of a row when it is next touched.
//
// The catch-up: what the steps a row missed (steps without a gradient for it) would
// have done to it under fastai's Adam, in closed form, so that a row costs the same whether it
// missed one step or ten thousand.
//
// A missed step multiplies the parameter by delta = 1 - lr*wd, m by beta1, sqrt(v) by
// sqrt(beta2), and moves the parameter by step_size * m / (sqrt(v) / sqrt(1 - beta2^t) + eps).
// The decay and the shrinking of m are exact (from running sums of their logs). The drift along
// the old momentum, which carries each gradient about ten steps further, is a geometric series
// taken with the latest step's lr and beta1; eps is folded in through a weighted harmonic mean:
// step k moves the parameter by A_k m / (rms B_k + eps), with A_k = step_size beta1^k
// delta^(n-k) and B_k = beta2^(k/2) / sqrt(1 - beta2^t); summed, sum(A) m / (rms B + eps) with
// B the A-weighted harmonic mean of the B_k, exact when eps or rms is negligible. The drift is
// kept because leaving it out, as torch.optim.SparseAdam does, trains worse (docs/engine.md).
#pragma once

#include <cstddef>
#include <cstdint>

#include "train/adam.h"

namespace collab {

// The row kernels' spans: n a multiple of kLanes floats, 32-byte aligned.
constexpr size_t kLanes = 8;

// A table of rows, each its parameters, Adam's m and rms = sqrt(v): three spans of `span` floats
// (a multiple of kLanes), one after another, 32-byte aligned; row r starts at
// base + r * row_floats.
struct RowTable {
  float* base;
  size_t row_floats;
  size_t span;
  float* params(size_t row) const { return base + row * row_floats; }
};

// The row kernels below take a step's rows all at once: called row by row, setting up each call
// (its constants, the dispatch to the processor's version) cost about as much as the
// arithmetic on a row of 50 factors. They run the fastest code this processor has (AVX2 and
// FMA where present) or, with KernelPath::portable, plain code, which tests compare it with.
enum class KernelPath { best, portable };

// Whether `path` runs the AVX2/FMA code here: asked for, and the processor has both.
bool use_avx2(KernelPath path);

// fastai's Adam on rows[0, count): rows[s] with its gradient at gradients + s * span (zeroed
// after).
void sparse_adam_update(const RowTable& table, const std::int32_t* rows, size_t count, float* gradients,
                        const AdamStep<float>& step, KernelPath path = KernelPath::best);

// What a row's catch-up needs to know: how many steps it missed and the logs of the products
// of delta and of beta1 over them.
struct MissedSteps {
  const float* count;
  const float* log_decay;
  const float* log_beta1;
};

// A row's catch-up in five numbers: p = p * keep - m / (rms * inv_b + eps_a); m *= m_scale;
// rms *= rms_scale.
struct CatchUpFactors {
  float* keep;
  float* m_scale;
  float* rms_scale;
  float* inv_b;
  float* eps_a;
};

// The factors for `rows` rows at once: the work per row is a few exponentials and divisions,
// which, done row by row, cost more than the update itself; here they run eight rows a vector.
// `rows` is a multiple of kLanes: every row goes through the same vector code, so its factors
// do not depend on where it falls. `step` is the latest step: the closed form takes its lr and
// beta1 for all the missed ones.
void catch_up_factors(size_t rows, MissedSteps missed, const AdamStep<float>& step, CatchUpFactors out);

// Applies the catch-up factors [r] to row rows[r], for r in [0, count). The rows are scattered
// and mostly not in cache: each is asked for a few rows ahead of its turn.
void apply_catch_up(const RowTable& table, const std::int32_t* rows, size_t count, const CatchUpFactors& factors,
                    KernelPath path = KernelPath::best);

}  // namespace collab
