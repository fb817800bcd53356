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

struct EpochRecord {
  int epoch = 0;         // from 0, as fastai prints it
  double train_loss = 0; // fastai's smoothed loss at the end of the epoch
  double valid_loss = 0; // MSE over the whole validation set
  double seconds = 0;
  double lr = 0;         // the learning rate of the epoch's last step
};

struct FitHooks {
  std::function<void(const EpochRecord&)> on_epoch;
  // Called every `progress_every` batches: epoch, steps done in it, steps in it, smoothed loss.
  std::function<void(int, size_t, size_t, double)> on_progress;
  size_t progress_every = 0;     // 0: no progress calls; the engine then runs whole epochs
  const std::atomic<bool>* stop = nullptr;
};

// fastai's AvgSmoothLoss: an exponential moving average, debiased, carried across epochs.
class SmoothedLoss {
 public:
  explicit SmoothedLoss(double beta) : beta_(beta) {}
  void add(double loss) {
    ++count_;
    value_ = beta_ * value_ + (1.0 - beta_) * loss;
  }
  double value() const { return count_ ? value_ / (1.0 - std::pow(beta_, count_)) : 0.0; }

 private:
  double beta_;
  double value_ = 0;
  long count_ = 0;
};

// Trains for options.epochs. Throws a data error when a loss stops being finite, Interrupted
// when `stop` was set.
std::vector<EpochRecord> fit_one_cycle(TrainingEngine& engine, size_t n_train,
                                       const TrainOptions& options, const FitHooks& hooks);

}  // namespace collab
