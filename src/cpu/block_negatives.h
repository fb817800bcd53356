// BPR's negatives on a rank of sharded training (--dist shard --loss bpr). A positive (u, i) of
// the stratum (user block r, item block b) is paired with items j of block b, the block the rank
// holds: drawn uniformly from the block's trained items (items of any rank's training ratings)
// that u has no positive interaction with. One process draws from every trained item; here each
// block is drawn from as often as it holds positives, which the layout keeps about equal
// (docs/distributed.md measures what that changes). The rank needs nothing per step from the
// others: its users' positives are all in its own strata.
#pragma once

#include <cstddef>
#include <cstdint>
#include <vector>

#include "cpu/bpr_step.h"
#include "cpu/forward_backward.h"
#include "support/random.h"
#include "train/train_options.h"

namespace collab {

class Communicator;

class BlockNegatives {
 public:
  // `train`: the rank's training strata by item block, sorted by row (ShardPlan::strata), on
  // local rows (its `users` users, then the held block's items); block_items: each item block's
  // size. Every rank constructs it at the same time: which items train is learnt from all.
  BlockNegatives(const std::vector<std::vector<Example>>& train, const std::vector<size_t>& block_items, size_t users,
                 const TrainOptions& options, Communicator& comm);

  // --negatives triples for each positive rating of batch[0, bs) (of the stratum of `block`)
  // whose user has an item of the block left to draw, appended to `out` in order.
  void draw_triples(const Example* batch, size_t bs, int block, Rng& rng, std::vector<BprTriple>& out) const;
  // Each positive validation rating of `block` whose user has a positive training interaction
  // and an item of the block left to draw, with one negative drawn from `rng`: the same triples
  // every epoch, so that the epochs' validation losses compare.
  std::vector<BprTriple> validation_triples(const std::vector<Example>& valid, int block, Rng& rng) const;

  // Triples per training rating, over every rank's ratings: a global step of --bs ratings makes
  // about bs * triples_per_rating() triples (the gradient's divisor, as one process divides
  // by its batch's triples).
  double triples_per_rating() const { return triples_per_rating_; }
  // Every rank's users with a training rating but no triple in some block (no positive at all,
  // or positive on every trained item of a block they have positives in).
  size_t skipped_users() const { return skipped_users_; }

 private:
  // The users' spans and distinct positives in each stratum; returns a byte per item of every
  // block (in block order): whether this rank trains on it.
  std::vector<char> index_users(const std::vector<size_t>& block_items);
  void learn_trained_items(const std::vector<char>& trains_here, const std::vector<size_t>& block_items,
                           Communicator& comm);
  void count_triples(Communicator& comm);
  // u's ratings in the stratum of `block`: [first, last) of train_[block].
  const Example* first_of(std::int32_t u, int block) const;
  const Example* last_of(std::int32_t u, int block) const;
  bool is_positive_for(std::int32_t u, std::int32_t item_row, int block) const;
  bool has_negatives(std::int32_t u, int block) const;
  std::int32_t draw(std::int32_t u, int block, Rng& rng) const;

  const std::vector<std::vector<Example>>& train_;
  TrainOptions options_;
  size_t users_;
  std::vector<std::vector<std::size_t>> offsets_;          // per block, per local user + 1: u's span
  std::vector<std::vector<std::uint32_t>> positive_items_;  // per block, per local user: distinct positive items
  std::vector<std::vector<std::int32_t>> trained_;        // per block: local rows of its trained items
  std::vector<char> any_positive_;                        // per local user
  double triples_per_rating_ = 0;
  size_t skipped_users_ = 0;
};

}  // namespace collab
