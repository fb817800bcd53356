// Sharded training run with its ranks as threads of the test (in_process_ranks.h), for the tests
// of the sharded engine (rating loss and BPR): each rank's history, rank 0's model, and what
// stopped a rank.
#pragma once

#include <atomic>
#include <string>
#include <vector>

#include "in_process_ranks.h"
#include "pipeline/engine_factory.h"
#include "support/error.h"
#include "test_support.h"
#include "train/fit.h"
#include "train/fit_passes.h"

namespace collab::test_support {

struct RankResult {
  std::vector<EpochRecord> history;
  Weights weights;
  std::string engine, error;  // error: "interrupted", or the Error's message
  ExitCode code = ExitCode::ok;
};

// Trains a dot-bias model of synthetic_setup's shape on `ranks` threads; stop_after: each rank
// asks to stop after that many epochs (then resumes from `checkpoint` when run again).
inline std::vector<RankResult> train_sharded(const TrainValidSplit& split, int users, int items, int ranks,
                                             const TrainOptions& o, const std::string& checkpoint = "",
                                             int stop_after = 0) {
  InProcessRanks group(ranks);
  std::vector<RankResult> out(static_cast<size_t>(ranks));
  group.run([&](int r) {
    RankResult& result = out[static_cast<size_t>(r)];
    try {
      EngineSetup s = synthetic_setup(split, Arch::dot_bias, users, items, o.model.factors, o.seed);
      s.options = o;
      s.communicator = &group.rank(r);
      s.checkpoint_dir = checkpoint;
      s.checkpoint_key = 42;
      auto engine = make_engine(s, "cpu", "cpu");
      result.engine = engine->device_name();
      std::atomic<bool> stop{false};
      FitHooks hooks;
      hooks.stop = &stop;
      hooks.on_epoch = [&](const EpochRecord& e) { stop = stop_after > 0 && e.epoch + 1 >= stop_after; };
      result.history = fit_by_passes(*engine, o, hooks);
      result.weights = engine->weights();
    } catch (const Interrupted&) {
      result.error = "interrupted";
    } catch (const Error& e) {
      result.error = e.what();
      result.code = e.code();
    }
  });
  return out;
}

}  // namespace collab::test_support
