#include "train/fit_passes.h"

#include <chrono>
#include <cmath>

#include "support/error.h"

namespace collab {

std::vector<EpochRecord> fit_by_passes(TrainingEngine& engine, const TrainOptions& o, const FitHooks& hooks) {
  std::vector<EpochRecord> history = engine.restored_history();
  if (!history.empty() && hooks.on_resume) hooks.on_resume(static_cast<int>(history.size()));
  if (hooks.on_epoch)
    for (const EpochRecord& rec : history) hooks.on_epoch(rec);
  for (int pass = static_cast<int>(history.size()); pass < o.epochs; ++pass) {
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
    engine.finish_pass(rec);
    history.push_back(rec);
    if (hooks.on_progress) hooks.on_progress(pass, 1, 1, rec.train_loss);
    if (hooks.on_epoch) hooks.on_epoch(rec);
  }
  return history;
}

}  // namespace collab
