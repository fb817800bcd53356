#include "train/adam.h"

#include <cmath>

namespace collab {

AdamStep<double> adam_step_constants(const StepHyper& h, std::int64_t t, const TrainOptions& o) {
  const double lr = static_cast<double>(h.lr), beta1 = static_cast<double>(h.beta1), steps = static_cast<double>(t);
  AdamStep<double> c;
  c.decay = 1.0 - lr * o.wd;
  c.beta1 = beta1;
  c.one_minus_beta1 = 1.0 - beta1;
  c.beta2 = o.beta2;
  c.one_minus_beta2 = 1.0 - o.beta2;
  c.sqrt_beta2 = std::sqrt(o.beta2);
  c.step_size = lr / (1.0 - std::pow(beta1, steps));
  c.debias2 = 1.0 - std::pow(o.beta2, steps);
  c.inv_sqrt_debias2 = 1.0 / std::sqrt(c.debias2);
  c.eps = o.eps;
  return c;
}

}  // namespace collab
