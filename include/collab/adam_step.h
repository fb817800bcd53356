// One optimizer step's constants for fastai's Adam, as floats, exactly as the CPU kernels use them.
#pragma once

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

}  // namespace collab
