// How --dist shard divides a model and its ratings between R ranks: DSGD's strata (Gemulla et al.
// 2011). Users and items are each cut into R blocks; rank r owns user block r, with those users'
// rows and ratings, and holds one item block at a time. An epoch is R sub-epochs: in the one with
// shift s, rank r trains the ratings of (user block r, item block (r + s) mod R), so that no two
// ranks touch the same row, and between sub-epochs the item blocks move to the ranks that need
// them next. Which users and items fall in which block is drawn from the seed, with the blocks
// balanced by training ratings (train/shard_layout.h); the order of the shifts is drawn anew each
// epoch.
#pragma once

#include <cstddef>
#include <cstdint>
#include <functional>
#include <vector>

#include "cpu/forward_backward.h"
#include "train/engine.h"
#include "train/shard_layout.h"
#include "train/split.h"

namespace collab {

class ShardPlan {
 public:
  // `users` and `items` rows; `train` decides the balance. Every rank makes the same plan.
  ShardPlan(size_t users, size_t items, const RatingSet& train, int ranks, std::uint64_t seed);
  explicit ShardPlan(ShardLayout layout);

  int ranks() const { return ranks_; }
  // The global user rows of block b, and the global item indices (from 0) of item block b, each
  // in increasing order: a row's place in its list is its local index.
  const std::vector<std::int32_t>& users_of(int block) const { return block_users_[static_cast<size_t>(block)]; }
  const std::vector<std::int32_t>& items_of(int block) const { return block_items_[static_cast<size_t>(block)]; }
  size_t most_items() const;  // the largest item block
  // Training ratings of (user block, item block).
  size_t train_count(int user_block, int item_block) const { return layout_.stratum_count(user_block, item_block); }
  size_t valid_total() const { return layout_.valid_total; }
  // The item block rank r trains in the sub-epoch of `shift`.
  int item_block(int rank, int shift) const { return (rank + shift) % ranks_; }

  // `set`'s ratings of user block `rank`, by item block: examples on the rank's local rows (its
  // users from 0, then the held item block's items after them). Each stratum is sorted by row
  // (then rating), so that it does not depend on the order `set` lists the ratings in: the whole
  // split's order, or a rank's own ratings in file order (pipeline/rank_local.h).
  std::vector<std::vector<Example>> strata(const RatingSet& set, int rank) const;
  // The same for the ratings `visit` hands over (EngineSetup::own_ratings), training ones into
  // `train` and the rest into `valid`; `visit` is called twice (counted, then kept).
  void strata(const std::function<void(const EngineSetup::RatingFn&)>& visit, int rank,
              std::vector<std::vector<Example>>& train, std::vector<std::vector<Example>>& valid) const;

 private:
  int ranks_;
  ShardLayout layout_;
  std::vector<std::int32_t> user_local_, item_local_;
  std::vector<std::vector<std::int32_t>> block_users_, block_items_;
};

// The order of the shifts 0..ranks-1 in `epoch`: the same on every rank.
std::vector<int> shift_order(std::uint64_t seed, int epoch, int ranks);

// The rank's local batch size: its share of the global batch of `batch_size`.
size_t local_batch_size(size_t batch_size, int rank, int ranks);

}  // namespace collab
