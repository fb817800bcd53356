// Picks the engine for a run: the hand-written CPU engine for embedding models on the CPU, the
// LibTorch plugin for the nn architecture, for CUDA, or when asked for with engine "torch".
#pragma once

#include <memory>
#include <string>

#include "train/engine.h"

namespace collab {

// device: auto|cpu|cuda. engine: auto|cpu|torch. Throws ExitCode::unavailable when CUDA is asked
// for and absent, ExitCode::usage for combinations that cannot work.
std::unique_ptr<TrainingEngine> make_engine(const EngineSetup& setup, const std::string& device,
                                            const std::string& engine);

// What `ranks` processes can do with these options (--dist, --bs, --checkpoint): a usage error
// otherwise. make_engine checks it; `train --nproc` too, before it starts the ranks, so that the
// mistake is one line rather than one a rank.
void check_distribution(const TrainOptions& options, int ranks, bool checkpoint);

}  // namespace collab
