// Exact mode's kernels: fastai's Adam on a span of a row, with or without a gradient, and the
// replay of the steps a row missed. Compiled for AVX2 and for plain x86-64, picked at run time;
// no FMA, so both give the same bits; -fno-math-errno lets the sqrt vectorise.
#pragma once

#include <cstddef>

#include "train/adam.h"

namespace collab {

// The kernels flush denormals to zero: rarely touched rows decay towards zero into denormal
// floats, which are many times slower to compute with; flushing them changes no result that
// matters. Per thread: every thread that runs a kernel calls it once.
void flush_denormals_on_this_thread();

// fastai's Adam on n contiguous parameters whose gradient is in g; leaves g zeroed for the next
// batch. The optimizer keeps rms = sqrt(v) rather than Adam's v: the same numbers up to float
// rounding, and it lets parameters without a gradient (nearly all, every step) update their rms
// with a multiplication instead of a square root.
void adam_update(float* p, float* m, float* rms, float* g, size_t n, AdamStep<float> c);

// One step for a span of parameters without a gradient: m = beta1 m, rms = sqrt(beta2) rms.
void adam_update_no_grad(float* p, float* m, float* rms, size_t n, AdamStep<float> c);

// `count` steps for a span without a gradient, eight parameters at a time held in registers
// throughout: the same arithmetic, so the same bits, as adam_update_no_grad once per step.
void adam_replay_no_grad(float* p, float* m, float* rms, size_t n, const AdamStep<float>* steps, size_t count);

}  // namespace collab
