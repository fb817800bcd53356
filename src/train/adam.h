// fastai's Adam with decoupled weight decay: the per-step constants every engine uses (the CPU
// engine, the tensor engine and the nn engine), defined once, in double precision.
//   p *= 1 - lr*wd;  m = beta1 m + (1 - beta1) g;  v = beta2 v + (1 - beta2) g^2;
//   p -= lr / (1 - beta1^t) * m / (sqrt(v / (1 - beta2^t)) + eps)
#pragma once

#include <cstdint>

#include "train/train_options.h"

namespace collab {

// The one-cycle schedule's values for one step.
struct StepHyper {
  float lr;
  float mom;  // Adam's beta1
};

struct AdamConstants {
  double decay;             // 1 - lr * wd
  double mom;               // beta1 this step
  double beta2;             // fastai's sqr_mom
  double step_size;         // lr / (1 - beta1^t)
  double debias2;           // 1 - beta2^t
  double inv_sqrt_debias2;  // 1 / sqrt(1 - beta2^t)
  double eps;
};

// The constants of step `t` (counted from 1) with the schedule's values `h`.
AdamConstants adam_constants(const StepHyper& h, std::int64_t t, const TrainOptions& options);

}  // namespace collab
