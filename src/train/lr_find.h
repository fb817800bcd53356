// fastai's learning-rate range test: from a fresh model, the rate grows exponentially over a
// number of steps while the smoothed loss is recorded; the run stops once the loss passes four
// times its best. Then fastai's suggestions are read off the curve.
#pragma once

#include <atomic>
#include <vector>

#include "train/engine.h"

namespace collab {

struct LrFindOptions {
  double start_lr = 1e-7;
  double end_lr = 10.0;
  int num_it = 100;
  float beta1 = 0.9f;  // fastai's Adam default; no one-cycle here
};

struct LrSuggestions {
  double valley;       // fastai's default: the longest valley of the loss curve
  double minimum_div10;  // the rate of the lowest loss, divided by 10
  double steepest;     // the steepest descent of the loss against log(lr)
};

struct LrFindResult {
  std::vector<double> lrs;     // one per step run
  std::vector<double> losses;  // smoothed loss after that step
  bool diverged = false;       // stopped early at 4x the best loss
  LrSuggestions suggestions{};
};

LrFindResult lr_find(TrainingEngine& engine, size_t n_train, const TrainOptions& options,
                     const LrFindOptions& finder, const std::atomic<bool>* stop);

// fastai's suggestion functions on a recorded curve, skipping its first tenth and last 5 points
// as fastai does. Throws a data error when too few points remain.
LrSuggestions suggest_learning_rates(const std::vector<double>& lrs, const std::vector<double>& losses,
                                     int num_it);

}  // namespace collab
