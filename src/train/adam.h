// fastai's Adam with decoupled weight decay: the per-step constants every engine uses (the CPU
// engine, the tensor engine and the nn engine), defined once, in double precision.
//   p *= 1 - lr*wd;  m = beta1 m + (1 - beta1) g;  v = beta2 v + (1 - beta2) g^2;
//   p -= lr / (1 - beta1^t) * m / (sqrt(v / (1 - beta2^t)) + eps)
#pragma once

#include <cmath>
#include <cstdint>

#include "train/train_options.h"

namespace collab {

// The one-cycle schedule's values for one step.
struct StepHyper {
  float lr;
  float beta1;  // Adam's beta1, the schedule's momentum (fastai's mom)
};

// Adam's constants for one step: in double as adam_step_constants defines them, or in float as
// the CPU kernels take them (as_float).
template <class Real>
struct AdamStep {
  Real decay;                   // 1 - lr * wd, fastai's decoupled weight decay
  Real beta1, one_minus_beta1;  // this step's beta1
  Real beta2, one_minus_beta2;  // fastai's sqr_mom
  Real sqrt_beta2;              // for the rms = sqrt(v) form
  Real step_size;               // lr / (1 - beta1^t)
  Real debias2;                 // 1 - beta2^t
  Real inv_sqrt_debias2;        // 1 / sqrt(1 - beta2^t)
  Real eps;
};

// The constants of step `t` (counted from 1) with the schedule's values `h`.
AdamStep<double> adam_step_constants(const StepHyper& h, std::int64_t t, const TrainOptions& options);

// The same constants as the CPU kernels use them: each rounded to float once, 1 - beta1 taken in
// float.
inline AdamStep<float> as_float(const AdamStep<double>& c) {
  AdamStep<float> s;
  s.decay = static_cast<float>(c.decay);
  s.beta1 = static_cast<float>(c.beta1);
  s.one_minus_beta1 = 1.0f - s.beta1;
  s.beta2 = static_cast<float>(c.beta2);
  s.one_minus_beta2 = static_cast<float>(1.0 - c.beta2);
  s.sqrt_beta2 = static_cast<float>(std::sqrt(c.beta2));
  s.step_size = static_cast<float>(c.step_size);
  s.debias2 = static_cast<float>(c.debias2);
  s.inv_sqrt_debias2 = static_cast<float>(c.inv_sqrt_debias2);
  s.eps = static_cast<float>(c.eps);
  return s;
}

// fastai's Adam on one parameter with the float constants, as every CPU kernel and the new-user fit
// apply it: with a gradient, and without one (a step that only decays). Inline, so that a loop of
// either vectorises. rms = sqrt(v) is kept rather than v (the same numbers up to float rounding).
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
