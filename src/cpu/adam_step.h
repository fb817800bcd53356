// One optimizer step's constants for fastai's Adam, as floats, exactly as the CPU kernels use them,
// and the step itself on one parameter with a gradient, for the kernels to vectorise.
#pragma once

#include <cmath>

#include "train/adam.h"

namespace collab {

struct AdamStep {
  float decay;  // 1 - lr * wd, fastai's decoupled weight decay
  float mom, one_minus_mom;
  float beta2, one_minus_beta2;
  float sqrt_beta2;
  float step_size;         // lr / (1 - beta1^t)
  float inv_sqrt_debias2;  // 1 / sqrt(1 - beta2^t)
  float eps;
};

// Adam's constants as the CPU kernels use them: floats, with sqrt(beta2) for the rms form.
inline AdamStep float_step(const AdamConstants& c) {
  AdamStep s;
  s.decay = static_cast<float>(c.decay);
  s.mom = static_cast<float>(c.mom);
  s.one_minus_mom = 1.0f - s.mom;
  s.beta2 = static_cast<float>(c.beta2);
  s.one_minus_beta2 = static_cast<float>(1.0 - c.beta2);
  s.sqrt_beta2 = static_cast<float>(std::sqrt(c.beta2));
  s.step_size = static_cast<float>(c.step_size);
  s.inv_sqrt_debias2 = static_cast<float>(c.inv_sqrt_debias2);
  s.eps = static_cast<float>(c.eps);
  return s;
}

// fastai's Adam on one parameter p with gradient `grad`, keeping rms = sqrt(v) rather than v
// (the same numbers up to float rounding). Inline, so that a loop of it vectorises.
inline void adam_step_with_gradient(float& p, float& m, float& rms, float grad, const AdamStep& c) {
  m = c.mom * m + c.one_minus_mom * grad;
  rms = std::sqrt(c.beta2 * rms * rms + c.one_minus_beta2 * grad * grad);
  p = p * c.decay - c.step_size * m / (rms * c.inv_sqrt_debias2 + c.eps);
}

}  // namespace collab
