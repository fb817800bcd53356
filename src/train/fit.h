// fastai's fit_one_cycle as a loop over any TrainingEngine: batches reshuffled every epoch, the
// one-cycle schedule, the smoothed training loss, validation after each epoch.
#pragma once

#include <atomic>
#include <cmath>
#include <cstdint>
#include <functional>
#include <vector>

#include "train/engine.h"

namespace collab {

struct FitHooks {
  std::function<void(const EpochRecord&)> on_epoch;
  // Called every `progress_every` batches: epoch, steps done in it, steps in it, smoothed loss.
  std::function<void(int, size_t, size_t, double)> on_progress;
  size_t progress_every = 0;     // 0: no progress calls; the engine then runs whole epochs
  const std::atomic<bool>* stop = nullptr;
  // Training went on from a checkpoint after this many epochs (sharded training's --checkpoint).
  std::function<void(int)> on_resume;
};

// fastai's AvgSmoothLoss: an exponential moving average, debiased, carried across epochs.
class SmoothedLoss {
 public:
  explicit SmoothedLoss(double beta, double value = 0, long count = 0) : beta_(beta), value_(value), count_(count) {}
  void add(double loss) {
    ++count_;
    value_ = beta_ * value_ + (1.0 - beta_) * loss;
  }
  double value() const { return count_ ? value_ / (1.0 - std::pow(beta_, count_)) : 0.0; }
  // Its state, to carry across a restart: the constructor takes it back.
  double sum() const { return value_; }
  long count() const { return count_; }

 private:
  double beta_;
  double value_ = 0;
  long count_ = 0;
};

// Trains for options.epochs. Throws a data error when the training loss stops being finite, or
// the validation loss where `validating` (the split asked for validation rows:
// asks_for_validation, train/split.h), Interrupted when `stop` was set.
std::vector<EpochRecord> fit_one_cycle(TrainingEngine& engine, size_t n_train, const TrainOptions& options,
                                       const FitHooks& hooks, bool validating);

}  // namespace collab
