#include "train/fit_passes.h"

#include <chrono>
#include <cmath>

#include "support/error.h"

namespace collab {

std::vector<EpochRecord> fit_by_passes(TrainingEngine& engine, const TrainOptions& o, const FitHooks& hooks) {
  std::vector<EpochRecord> history;
  for (int pass = 0; pass < o.epochs; ++pass) {
    if (hooks.stop && hooks.stop->load()) throw Interrupted();
    const auto started = std::chrono::steady_clock::now();
    EpochRecord rec;
    rec.epoch = pass;
    rec.train_loss = engine.train_pass();
    if (!std::isfinite(rec.train_loss))
      throw data_error("the training loss became " + std::to_string(rec.train_loss) + " in pass " + std::to_string(pass) +
                       ": try a larger regularisation (--wd)");
    rec.valid_loss = engine.validation_mse();
    rec.seconds = std::chrono::duration<double>(std::chrono::steady_clock::now() - started).count();
    history.push_back(rec);
    if (hooks.on_progress) hooks.on_progress(pass, 1, 1, rec.train_loss);
    if (hooks.on_epoch) hooks.on_epoch(rec);
  }
  return history;
}

}  // namespace collab
