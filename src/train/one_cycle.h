// fastai's fit_one_cycle schedule: cosine warm-up of the learning rate over the first 25% of the
// steps and cosine annealing after, with the momentum (Adam's beta1) moving the opposite way.
#pragma once

namespace collab {

// sched_cos: from `start` at pos 0 to `end` at pos 1 along half a cosine.
double cosine_anneal(double start, double end, double pos);

struct OneCycle {
  double lr_max;
  double div = 25.0;          // the rate starts at lr_max / div
  double div_final = 1e5;     // and ends at lr_max / div_final
  double pct_start = 0.25;    // share of the steps spent warming up
  double mom_high = 0.95;     // beta1 at the start and the end
  double mom_low = 0.85;      // beta1 at the peak learning rate

  // `pos` is the fraction of all training steps done before this batch, in [0, 1].
  double lr(double pos) const;
  double mom(double pos) const;
};

}  // namespace collab
