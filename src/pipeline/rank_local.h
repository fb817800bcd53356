// Sharded training's load for a rank that holds only its own users' ratings, so that memory per
// rank falls with the number of ranks (docs/distributed.md#memory). The ratings are read from the
// parsed-data cache a chunk at a time (data/parsed_cache_stream.h), five times (each well under a second at ml-25m's size): the split's
// training counts by user and item, which draw the blocks (train/shard_layout.h); every stratum's
// count; the rank's own ratings, straight into the engine's strata (counted, then kept); and, on
// rank 0 after training, every user's trained items for the model file. The split is the random split of one process, told by each row's role
// (train/split_membership.h); what the rank keeps of all rows is a byte each.
#pragma once

#include <cstdint>
#include <memory>
#include <string>
#include <vector>

#include "data/parsed_cache_stream.h"
#include "pipeline/pipeline.h"
#include "train/shard_layout.h"

namespace collab {

struct RankLocalData {
  std::unique_ptr<ParsedCacheStream> cache;
  std::vector<std::uint8_t> roles;       // each row's RowRole
  std::vector<size_t> trained_by_user;   // training ratings of each user row
  std::shared_ptr<ShardLayout> layout;   // blocks, strata counts and the validation total
  size_t ratings = 0, train = 0, valid = 0;
};

// Whether `request` may load that way: sharded training over several ranks, no filter (a k-core
// needs every rating), the random split without test rows, and files rather than streams.
bool loads_rank_local(const TrainingRequest& request);
// The same for `ranks` ranks that have not met yet (--nproc's launcher, before it starts them).
bool loads_rank_local(const TrainingRequest& request, int ranks);

// Writes the parsed-data cache of `source`'s files where it is missing or stale, and keeps
// nothing: --nproc's launcher parses a file once before its ranks start, rather than every rank
// parsing all of it (each holding every rating) on the first run.
void make_parsed_cache(const DataSource& source);

// The rank's training, prepared from the cache: its engine reads the rank's own users' ratings
// (EngineSetup::own_ratings), its `split` is empty and `rank_local` knows the rest. Where the cache cannot be written (a read-only folder) the data is
// loaded whole and prepared as usual.
std::unique_ptr<PreparedTraining> prepare_rank_local_training(const TrainingRequest& request);

// Every user's trained items into `model`, as index_training_rows would from the whole split.
void index_rank_local_training_rows(const RankLocalData& data, SavedModel& model);

}  // namespace collab
