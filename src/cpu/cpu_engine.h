// The hand-written CPU engine for dot, dot-range and dot-bias: what the rest of the program sees
// of src/cpu/. The engine factory (pipeline/engine_factory.h) is its only caller besides tests.
#pragma once

#include <memory>

#include "train/engine.h"

namespace collab {

std::unique_ptr<TrainingEngine> make_cpu_engine(const EngineSetup& setup);

// --dist shard across the setup's ranks (sparse-adam; cpu/shard_plan.h, sharded_engine.cpp).
std::unique_ptr<TrainingEngine> make_sharded_engine(const EngineSetup& setup);

// Threads the CPU engine uses when told 0: the cores this process may run on, at most 2 (the
// update of a MovieLens-sized model gains nothing from more, and idle spinning threads hurt).
int default_thread_count();

}  // namespace collab
