// Sharded training's checkpoints (--checkpoint DIR): after each whole epoch every rank writes its
// shard (its users' rows, the item block it holds, Adam's state and the run's history) to
// DIR/shard-<rank>-of-<ranks>.epoch-<n>, whole, then renamed into place. A rank removes its
// shard of the epoch before only after every rank has written this one, so that the folder always
// holds an epoch every rank has: a job restarted after a rank died resumes from it.
#pragma once

#include <cstdint>
#include <memory>
#include <string>
#include <vector>

#include "support/files.h"
#include "train/adam.h"
#include "train/engine.h"

namespace collab {

// One rank's state after `epochs_done` whole epochs.
struct ShardSnapshot {
  std::uint64_t key = 0;  // the run's fingerprint: options, data and split (pipeline.h)
  std::int32_t ranks = 0, rank = 0, epochs_done = 0;
  std::int32_t shift = 0;  // which item block the rank holds (shard_plan.h)
  std::int64_t step = 0;
  double smooth_sum = 0;  // the smoothed training loss's state (fit.h)
  std::int64_t smooth_count = 0;
  std::vector<EpochRecord> history;
  std::vector<double> log_beta1, log_decay;  // the sparse catch-up's sums (update_policies.h)
  AdamStep<float> last_constants{};
  std::uint64_t row_count = 0, row_floats = 0;  // the rows: the rank's users, then its item block
  std::vector<float> rows;
  std::vector<std::int64_t> clocks;  // per row, the step it was last brought up to
};

// Writes `s` (its rows and clocks taken from `rows` and `clocks`, not from s.rows and s.clocks)
// to its file in `dir`, creating the folder if needed.
void save_shard(const std::string& dir, const ShardSnapshot& s, const float* rows, const std::int64_t* clocks);
// The rank's latest epoch in `dir` (0: none). Data error when the folder holds shards of a run
// with another number of ranks.
int latest_shard_epoch(const std::string& dir, int ranks, int rank);
// The rank's shard of `epoch`. A file that is truncated, altered or not a shard: data error
// naming it.
ShardSnapshot load_shard(const std::string& dir, int ranks, int rank, int epoch);
// Removes the rank's shards of epochs before `epoch`.
void remove_older_shards(const std::string& dir, int ranks, int rank, int epoch);

// The rank's hold on `dir` for a job's life (an ExclusiveLock on DIR/.shard-RANK-of-R.lock,
// the folder created if needed): a second job started on the same folder would write and remove
// the first one's shards. The ranks of one job each hold their own. Held elsewhere:
// ExitCode::cannot_create.
std::unique_ptr<ExclusiveLock> lock_shard_folder(const std::string& dir, int ranks, int rank);

}  // namespace collab
