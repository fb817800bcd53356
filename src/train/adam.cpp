#include "train/adam.h"

#include <cmath>

namespace collab {

AdamConstants adam_constants(const StepHyper& h, std::int64_t t, const TrainOptions& o) {
  const double lr = static_cast<double>(h.lr), mom = static_cast<double>(h.mom), steps = static_cast<double>(t);
  AdamConstants c;
  c.decay = 1.0 - lr * o.wd;
  c.mom = mom;
  c.beta2 = o.beta2;
  c.step_size = lr / (1.0 - std::pow(mom, steps));
  c.debias2 = 1.0 - std::pow(o.beta2, steps);
  c.inv_sqrt_debias2 = 1.0 / std::sqrt(c.debias2);
  c.eps = o.eps;
  return c;
}

}  // namespace collab
