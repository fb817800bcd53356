// The training loop of the models that fit by whole passes over the data rather than by Adam's
// batches: implicit ALS, Surprise's BaselineOnly, popularity. No schedule, no shuffling: each
// pass is deterministic given the engine's start.
#pragma once

#include "train/fit.h"

namespace collab {

// options.epochs passes of engine.train_pass(), each recorded as an epoch (lr 0; valid_loss NaN
// where the engine has none). Throws a data error when a loss stops being finite, Interrupted
// when `stop` was set.
std::vector<EpochRecord> fit_by_passes(TrainingEngine& engine, const TrainOptions& options, const FitHooks& hooks);

}  // namespace collab
