// fastai's Adam on one parameter, as the CPU kernels apply it with the float constants of
// train/adam.h (AdamStep<float>): with a gradient, and without one (a step that only decays).
// Inline, so that a loop of either vectorises.
#pragma once

#include <cmath>

#include "train/adam.h"

namespace collab {

// One parameter p with gradient `grad`, keeping rms = sqrt(v) rather than v (the same numbers up
// to float rounding).
inline void adam_step_with_gradient(float& p, float& m, float& rms, float grad, const AdamStep<float>& c) {
  m = c.beta1 * m + c.one_minus_beta1 * grad;
  rms = std::sqrt(c.beta2 * rms * rms + c.one_minus_beta2 * grad * grad);
  p = p * c.decay - c.step_size * m / (rms * c.inv_sqrt_debias2 + c.eps);
}

// One parameter without a gradient: m = beta1 m, v = beta2 v (rms = sqrt(beta2) rms).
inline void adam_step_without_gradient(float& p, float& m, float& rms, const AdamStep<float>& c) {
  m = c.beta1 * m;
  rms = c.sqrt_beta2 * rms;
  p = p * c.decay - c.step_size * m / (rms * c.inv_sqrt_debias2 + c.eps);
}

}  // namespace collab
