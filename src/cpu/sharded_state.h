// One rank's part of sharded training (sharded_engine.cpp drives it): its users' rows and the item
// block it holds, in a RowStore with the sparse engine's update policy, its strata of the ratings,
// the moves of item blocks between ranks, validation, checkpoints and the final gather of the
// rows on rank 0.
#pragma once

#include <cstdint>
#include <memory>
#include <string>
#include <vector>

#include "cpu/bpr_step.h"
#include "cpu/gradient_table.h"
#include "cpu/row_store.h"
#include "cpu/shard_plan.h"
#include "cpu/step_pool.h"
#include "cpu/update_policies.h"
#include "train/engine.h"

namespace collab {

struct ShardSnapshot;
class ExclusiveLock;
class BlockNegatives;
class Rng;

// A step's (or validation's) sum of losses and how many ratings or triples it is over.
struct LossSum {
  double sum = 0, count = 0;
};

class ShardedState {
 public:
  explicit ShardedState(const EngineSetup& setup);
  ~ShardedState();

  int rank() const { return rank_; }
  int ranks() const { return ranks_; }
  int threads() const { return threads_; }
  const ShardPlan& plan() const { return plan_; }
  Communicator& communicator() const { return comm_; }
  size_t local_batch() const { return local_batch_; }
  int epochs_done() const { return epochs_done_; }
  int held_block() const { return plan_.item_block(rank_, shift_); }
  const std::vector<Example>& train_stratum(int block) const { return train_[static_cast<size_t>(block)]; }

  // Brings the item block of `shift` here, sending the one held to the rank that needs it.
  void move_to_shift(int shift);
  // One step on `batch` (bs ratings of this rank's stratum): --loss mse's squared errors, or
  // --loss bpr's triples, their negatives drawn from `negatives` (block_negatives.h).
  LossSum train_step(const Example* batch, size_t bs, const StepHyper& hyper, Rng& negatives);
  // A step without a batch here (the other ranks' step).
  LossSum idle_step(const StepHyper& hyper);
  void finish_epoch() { ++epochs_done_; }

  // The mean loss over every rank's validation ratings (squared error, or BPR's over validation
  // triples drawn once); the item blocks go round once.
  double validation_loss();
  // Records the epoch; with a checkpoint folder, saves the shard and, once every rank has, drops
  // the one before.
  void save(const EpochRecord& record, double smooth_sum, long smooth_count);
  // From the latest epoch every rank has in the checkpoint folder: the epochs' records (none for
  // a fresh start), with the smoothed loss's state in smooth_sum() and smooth_count().
  std::vector<EpochRecord> resume();
  double smooth_sum() const { return smooth_sum_; }
  long smooth_count() const { return smooth_count_; }

  // Every rank's rows, on rank 0, as the model's tables; the other ranks return no tables.
  Weights gather_weights();
  // Gives back the memory of the rank's ratings once training is over (before gathering, where a
  // run's rank 0 would otherwise peak).
  void release_ratings();

 private:
  void start_bpr();
  void apply(const StepHyper& hyper, int threads);
  LossSum rating_step(const Example* batch, size_t bs);
  LossSum bpr_step(const Example* batch, size_t bs, Rng& negatives);
  LossSum validation_of_held_block();
  ForwardModel forward_model() const;
  void catch_up_held_rows();
  std::vector<float> packed_rows();
  void restore(const ShardSnapshot& s);

  Communicator& comm_;
  int rank_, ranks_, threads_;
  std::unique_ptr<ExclusiveLock> folder_lock_;  // with --checkpoint, before anything is read or written
  ModelShape shape_;
  TrainOptions options_;
  ShardPlan plan_;
  size_t users_, local_batch_;  // this rank's users; its share of --bs
  RowStore store_;
  StepPool pool_;
  std::int64_t step_ = 0;
  SparseUpdate policy_;
  GradientTable gradients_;
  BatchRowLister lister_;
  std::vector<float> dz_;
  std::vector<std::vector<Example>> train_, valid_;      // this rank's ratings by item block
  std::vector<std::vector<std::int32_t>> valid_rows_;    // the distinct rows validation reads, by item block
  size_t valid_total_ = 0;                               // every rank's validation ratings
  // --loss bpr: the negatives, each block's validation triples, a step's triples and their slots.
  std::unique_ptr<BlockNegatives> negatives_;
  std::vector<std::vector<BprTriple>> valid_triples_;
  std::vector<BprTriple> triples_;
  std::vector<std::int32_t> triple_slots_;
  std::vector<float> scores_;
  float bpr_scale_ = 1;  // 1 / the triples a global step makes, about
  int shift_ = 0, epochs_done_ = 0;
  std::vector<float> incoming_;                          // an item block arriving
  std::vector<std::int64_t> clocks_out_, clocks_in_;
  std::string checkpoint_dir_;
  std::uint64_t checkpoint_key_;
  std::vector<EpochRecord> history_;
  double smooth_sum_ = 0;
  long smooth_count_ = 0;
};

}  // namespace collab
