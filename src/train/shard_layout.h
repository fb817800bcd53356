// Which rank of sharded training (--dist shard) owns which users and items: DSGD's blocks
// (cpu/shard_plan.h has the strata built on them). Plain data, so that it can be worked out from
// the whole training set in memory, or from counts streamed off the parsed-data cache by a rank
// that never holds every rating (pipeline/rank_local.h); every rank makes the same layout.
#pragma once

#include <cstddef>
#include <cstdint>
#include <vector>

#include "train/split.h"

namespace collab {

struct ShardLayout {
  int ranks = 1;
  std::vector<std::int32_t> user_block, item_block;  // by global row
  std::vector<size_t> train_count;  // training ratings of (user block b, item block c) at [b * ranks + c]
  size_t valid_total = 0;           // every rank's validation ratings together

  size_t stratum_count(int user_block_of, int item_block_of) const {
    return train_count[static_cast<size_t>(user_block_of * ranks + item_block_of)];
  }
  // Adds training ratings to train_count (the blocks already drawn).
  void count_training(const std::int32_t* user, const std::int32_t* item, size_t n);
};

// Users and items cut into `ranks` blocks from their training ratings' counts: each walked in an
// order drawn from the seed, a key goes to the block its running share of the ratings falls in,
// so that the blocks hold about as many ratings each whatever the keys' sizes. train_count is left
// at zero for count_training.
ShardLayout shard_layout(const std::vector<size_t>& per_user, const std::vector<size_t>& per_item, int ranks,
                         std::uint64_t seed);
// The same for a split held whole in memory: `users` and `items` rows, `train` counted.
ShardLayout shard_layout(size_t users, size_t items, const RatingSet& train, size_t valid_total, int ranks,
                         std::uint64_t seed);

}  // namespace collab
