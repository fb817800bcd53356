// --dist shard: sparse-adam training whose ranks divide the model, its optimizer state and the
// ratings (shard_plan.h has the strata), for the rating loss and for BPR (block_negatives.h has
// where a rank's negatives come from). Each rank trains its stratum with the sparse engine's
// kernels and update policy; the ranks step in lockstep, one global step being every rank's
// local batch (its share of --bs), so that a row's clock means the same on every rank and an
// item block that moves carries its rows' clocks with it. A rank whose stratum runs out of
// whole batches before the others' takes steps without a batch: its rows miss them, as rows a
// one-process step does not touch do. The only exchanges: an item block between sub-epochs, the
// steps' losses once a sub-epoch, validation's sums, and the rows for rank 0 at the end.
#include <algorithm>
#include <cmath>
#include <cstring>

#include "cpu/cpu_engine.h"
#include "cpu/gradient_table.h"
#include "cpu/shard_plan.h"
#include "cpu/sharded_state.h"
#include "support/error.h"
#include "support/random.h"
#include "train/distributed.h"
#include "train/fit.h"
#include "train/one_cycle.h"

namespace collab {
namespace {

constexpr std::uint64_t kStratumStream = 0x5348'4152'0000'0000;    // the order of a stratum's ratings
constexpr std::uint64_t kNegativesStream = 0x5348'4E54'0000'0000;  // "SHNT": BPR's negatives in a sub-epoch

size_t training_ratings(const ShardPlan& plan) {
  size_t n = 0;
  for (int b = 0; b < plan.ranks(); ++b)
    for (int c = 0; c < plan.ranks(); ++c) n += plan.train_count(b, c);
  return n;
}

class ShardedSparseEngine final : public TrainingEngine {
 public:
  explicit ShardedSparseEngine(const EngineSetup& s) : state_(s), o_(s.options), smooth_(s.options.smooth_beta) {
    const auto bs = static_cast<size_t>(o_.batch_size);
    const int ranks = state_.ranks();
    if (o_.batch_size < ranks) throw internal_error("fewer ratings in a batch than ranks (check_distribution)");
    for (int shift = 0; shift < ranks; ++shift) {
      size_t most = 0;
      for (int r = 0; r < ranks; ++r)
        most = std::max(most, state_.plan().train_count(r, state_.plan().item_block(r, shift)) / local_batch_size(bs, r, ranks));
      steps_in_shift_.push_back(most);
      steps_per_epoch_ += most;
    }
    if (steps_per_epoch_ == 0)
      throw data_error("only " + std::to_string(training_ratings(state_.plan())) + " training ratings: no rank has a batch of " +
                       std::to_string(bs / static_cast<size_t>(ranks)) + " (its share of --bs " + std::to_string(bs) +
                       ") in any of its strata (lower --bs or use fewer ranks)");
    total_steps_ = steps_per_epoch_ * static_cast<size_t>(o_.epochs);
    // Room for the largest stratum once: a copy into a smaller buffer would hold both (60 MB
    // more at ml-25m's size on 2 ranks).
    size_t largest = 0;
    for (int b = 0; b < ranks; ++b) largest = std::max(largest, state_.train_stratum(b).size());
    shuffled_.reserve(largest);
  }

  bool fits_by_passes() const override { return true; }

  std::vector<float> train_batches(const std::int32_t*, size_t, size_t, const StepHyper*, const std::atomic<bool>*) override {
    throw internal_error("sharded training runs whole epochs (train_pass)");
  }

  std::vector<EpochRecord> restored_history() override {
    std::vector<EpochRecord> history = state_.resume();
    if (!history.empty()) smooth_ = SmoothedLoss(o_.smooth_beta, state_.smooth_sum(), state_.smooth_count());
    return history;
  }

  double train_pass() override {
    const int epoch = state_.epochs_done();
    size_t done = static_cast<size_t>(epoch) * steps_per_epoch_;  // steps before this sub-epoch
    for (int shift : shift_order(o_.seed, epoch, state_.ranks())) {
      state_.move_to_shift(shift);
      const int block = state_.held_block();
      shuffled_ = state_.train_stratum(block);
      // Drawn from the seed, the epoch, the rank and the block alone, so that a run resumed from
      // a checkpoint draws what the uninterrupted run drew.
      const std::uint64_t sub_epoch =
          (static_cast<std::uint64_t>(epoch) * static_cast<std::uint64_t>(state_.ranks()) +
           static_cast<std::uint64_t>(state_.rank())) * static_cast<std::uint64_t>(state_.ranks()) +
          static_cast<std::uint64_t>(block);
      Rng rng(o_.seed, kStratumStream + sub_epoch);
      rng.shuffle(shuffled_);
      Rng negatives(o_.seed, kNegativesStream + sub_epoch);
      const size_t steps = steps_in_shift_[static_cast<size_t>(shift)], bs = state_.local_batch();
      sums_.assign(steps, {});
      for (size_t t = 0; t < steps; ++t) {
        const StepHyper hyper = hyper_at(done + t);
        sums_[t] = (t + 1) * bs <= shuffled_.size() ? state_.train_step(shuffled_.data() + t * bs, bs, hyper, negatives)
                                                    : state_.idle_step(hyper);
      }
      add_losses(steps);
      done += steps;
    }
    last_lr_ = hyper_at(done - 1).lr;
    state_.finish_epoch();
    return smooth_.value();
  }

  double validation_mse() override { return state_.validation_loss(); }

  void finish_pass(EpochRecord& record) override {
    record.lr = last_lr_;
    state_.save(record, smooth_.sum(), smooth_.count());
  }

  Weights weights() const override {
    auto& self = const_cast<ShardedSparseEngine&>(*this);
    if (state_.epochs_done() >= o_.epochs) {  // trained: the ratings are not needed again
      std::vector<Example>().swap(self.shuffled_);
      self.state_.release_ratings();
    }
    return self.state_.gather_weights();
  }

  std::string device_name() const override {
    return std::string(o_.loss == Loss::bpr ? "cpu (BPR, " : "cpu (") + "sparse updates, sharded over " +
           std::to_string(state_.ranks()) + " ranks, " + std::to_string(state_.threads()) +
           (state_.threads() == 1 ? " thread" : " threads") + " each)";
  }

 private:
  StepHyper hyper_at(size_t step) const {
    const OneCycle cycle{o_.lr};
    const double pos = static_cast<double>(step) / static_cast<double>(total_steps_);
    return {static_cast<float>(cycle.lr(pos)), static_cast<float>(cycle.mom(pos))};
  }

  // Every rank's sums of the sub-epoch's steps' losses, gathered: each global step's loss (over
  // every rank's batch of that step) into the smoothed loss, in step order, the same on every rank.
  void add_losses(size_t steps) {
    const int ranks = state_.ranks();
    all_sums_.resize(steps * static_cast<size_t>(ranks));
    state_.communicator().allgather_bytes(sums_.data(), steps * sizeof(LossSum), all_sums_.data());
    for (size_t t = 0; t < steps; ++t) {
      LossSum step;
      for (int r = 0; r < ranks; ++r) {
        const LossSum& mine = all_sums_[static_cast<size_t>(r) * steps + t];
        if (mine.count == 0) continue;  // an idle step
        step.sum += mine.sum;
        step.count += mine.count;
      }
      // A step without a triple anywhere (BPR on ratings none of which is positive) adds 0, as
      // one process's does.
      const double loss = step.count > 0 ? step.sum / step.count : 0.0;
      if (!std::isfinite(loss))
        throw data_error("the training loss became " + std::to_string(loss) + " in epoch " +
                         std::to_string(state_.epochs_done()) + "; training diverged: try a lower --lr (now " +
                         std::to_string(o_.lr) + ")");
      smooth_.add(loss);
    }
  }

  ShardedState state_;
  TrainOptions o_;
  SmoothedLoss smooth_;
  std::vector<size_t> steps_in_shift_;  // global steps of each shift's sub-epoch
  size_t steps_per_epoch_ = 0, total_steps_ = 0;
  std::vector<Example> shuffled_;       // the sub-epoch's stratum in its order
  std::vector<LossSum> sums_, all_sums_;  // the sub-epoch's steps' losses: this rank's, every rank's
  float last_lr_ = 0;
};

}  // namespace

std::unique_ptr<TrainingEngine> make_sharded_engine(const EngineSetup& setup) {
  if (!setup.communicator || setup.communicator->world_size() < 2)
    throw internal_error("sharded training needs several ranks");
  return std::make_unique<ShardedSparseEngine>(setup);
}

}  // namespace collab
