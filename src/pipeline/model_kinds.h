// The model kinds beside the seed's rating models: the popularity and BaselineOnly baselines,
// implicit ALS and BPR (docs/experiments.md#ranking-models). Which combinations of --arch,
// --implicit, --loss and --optimizer make a model, and the engine that trains each.
#pragma once

#include <memory>
#include <string>

#include "train/engine.h"

namespace collab {

// Throws a usage error naming the option for a combination no trainer fits (--loss bpr without
// --implicit or on a rating-only arch, --optimizer als on an arch it cannot fit, --implicit on a
// rating model, --negatives < 1, a negative or NaN --alpha, ...), or one these trainers do not
// run (several processes, --device cuda, --engine torch).
void check_model_kind(const TrainOptions& options, const std::string& device, const std::string& engine,
                      bool distributed);

// The engine for popularity, baseline, implicit ALS and BPR; null for the rating models, which
// the engine factory makes as before.
std::unique_ptr<TrainingEngine> make_model_kind_engine(const EngineSetup& setup);

}  // namespace collab
