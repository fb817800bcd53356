// How --dist shard divides a model and its ratings between R ranks: DSGD's strata (Gemulla et al.
// 2011). Users and items are each cut into R blocks; rank r owns user block r, with those users'
// rows and ratings, and holds one item block at a time. An epoch is R sub-epochs: in the one with
// shift s, rank r trains the ratings of (user block r, item block (r + s) mod R), so that no two
// ranks touch the same row, and between sub-epochs the item blocks move to the ranks that need
// them next. Which users and items fall in which block is drawn from the seed, with the blocks
// balanced by training ratings; the order of the shifts is drawn anew each epoch.
#pragma once

#include <cstddef>
#include <cstdint>
#include <vector>

#include "cpu/forward_backward.h"
#include "train/split.h"

namespace collab {

class ShardPlan {
 public:
  // `users` and `items` rows; `train` decides the balance. Every rank makes the same plan.
  ShardPlan(size_t users, size_t items, const RatingSet& train, int ranks, std::uint64_t seed);

  int ranks() const { return ranks_; }
  // The global user rows of block b, and the global item indices (from 0) of item block b, each
  // in increasing order: a row's place in its list is its local index.
  const std::vector<std::int32_t>& users_of(int block) const { return block_users_[static_cast<size_t>(block)]; }
  const std::vector<std::int32_t>& items_of(int block) const { return block_items_[static_cast<size_t>(block)]; }
  size_t most_items() const;  // the largest item block
  // Training ratings of (user block, item block).
  size_t train_count(int user_block, int item_block) const {
    return train_count_[static_cast<size_t>(user_block * ranks_ + item_block)];
  }
  // The item block rank r trains in the sub-epoch of `shift`.
  int item_block(int rank, int shift) const { return (rank + shift) % ranks_; }

  // `set`'s ratings of user block `rank`, by item block: examples on the rank's local rows (its
  // users from 0, then the held item block's items after them).
  std::vector<std::vector<Example>> strata(const RatingSet& set, int rank) const;

 private:
  int ranks_;
  std::vector<std::int32_t> user_block_, item_block_, user_local_, item_local_;
  std::vector<std::vector<std::int32_t>> block_users_, block_items_;
  std::vector<size_t> train_count_;
};

// The order of the shifts 0..ranks-1 in `epoch`: the same on every rank.
std::vector<int> shift_order(std::uint64_t seed, int epoch, int ranks);

// The rank's local batch size: its share of the global batch of `batch_size`.
size_t local_batch_size(size_t batch_size, int rank, int ranks);

}  // namespace collab
