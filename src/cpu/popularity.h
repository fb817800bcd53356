// --arch popularity: every item scored by its count of positive training interactions (every
// training rating without --implicit), the same list for every user, ties by item order. The
// baseline a ranking model has to beat.
#pragma once

#include <memory>
#include <vector>

#include "train/engine.h"

namespace collab {

// Per item row: its positive training interactions (row 0, #na#, counts none).
std::vector<float> item_interaction_counts(const RatingSet& train, size_t item_rows, const TrainOptions& options);

std::unique_ptr<TrainingEngine> make_popularity_engine(const EngineSetup& setup);

}  // namespace collab
