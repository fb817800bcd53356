#include "train/one_cycle.h"

#include <cmath>

namespace collab {

double cosine_anneal(double start, double end, double pos) {
  return start + (1.0 + std::cos(M_PI * (1.0 - pos))) * (end - start) / 2.0;
}

namespace {
// fastai's combined_cos: two cosine phases that meet at pct_start.
double two_phase(double pct_start, double start, double middle, double end, double pos) {
  if (pos < pct_start) return cosine_anneal(start, middle, pos / pct_start);
  return cosine_anneal(middle, end, (pos - pct_start) / (1.0 - pct_start));
}
}  // namespace

double OneCycle::lr(double pos) const {
  return two_phase(pct_start, lr_max / div, lr_max, lr_max / div_final, pos);
}

double OneCycle::mom(double pos) const {
  return two_phase(pct_start, mom_high, mom_low, mom_high, pos);
}

}  // namespace collab
