// --arch baseline: Surprise's BaselineOnly, r = mu + b_u + b_i, fitted by its alternating least
// squares (Koren 2010, section 2.1): each pass sets every item's bias, then every user's, to the
// regularised mean of what the others leave of its ratings:
//   b_i = sum over i's ratings of (r - mu - b_u) / (reg_i + |R(i)|)
//   b_u = sum over u's ratings of (r - mu - b_i) / (reg_u + |R(u)|)
// Surprise's defaults: reg_u 15, reg_i 10, 10 passes (n_epochs), biases from 0.
#pragma once

#include <memory>
#include <vector>

#include "train/engine.h"

namespace collab {

struct BaselineBiases {
  double mu = 0;                          // the mean training rating
  std::vector<double> user, item;         // per row; rows without a rating stay 0
};

// One ALS pass over `train` (items, then users), from the biases in `b` (mu set by the caller).
void baseline_als_pass(const RatingSet& train, double reg_u, double reg_i, BaselineBiases& b);

std::unique_ptr<TrainingEngine> make_baseline_engine(const EngineSetup& setup);

}  // namespace collab
