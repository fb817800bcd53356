// The interface every trainer implements: the fast CPU engine here, and the LibTorch engines
// (CUDA, the nn architecture) in the plugin. The training loop (fit.h) drives any of them.
#pragma once

#include <atomic>
#include <cstdint>
#include <functional>
#include <memory>
#include <string>
#include <vector>

#include "train/adam.h"
#include "train/shard_layout.h"
#include "train/split.h"
#include "train/train_options.h"
#include "train/weights.h"

namespace collab {

struct EpochRecord {
  int epoch = 0;         // from 0, as fastai prints it
  double train_loss = 0; // fastai's smoothed loss at the end of the epoch
  double valid_loss = 0; // MSE over the whole validation set
  double seconds = 0;
  double lr = 0;         // the learning rate of the epoch's last step
};

class TrainingEngine {
 public:
  virtual ~TrainingEngine() = default;
  // One optimizer step per batch: batch b is training rows order[b*bs, (b+1)*bs) with hyper[b].
  // Checks `stop` between batches and returns the losses of the batches it ran.
  virtual std::vector<float> train_batches(const std::int32_t* order, size_t n_batches,
                                           size_t batch_size, const StepHyper* hyper,
                                           const std::atomic<bool>* stop) = 0;
  // Called with the order of an epoch before it trains, on another thread while the epoch before
  // it trains: an engine may lay that epoch's ratings out ahead of time and use that layout when
  // train_batches is given the same storage. The order's storage must stay unchanged until
  // train_batches has run over it, and until forget_prepared_orders() is called (fit does when it
  // returns), storage with another order must not be passed at that address. Optional.
  virtual void prepare_order(const std::int32_t* order, size_t n) {
    (void)order;
    (void)n;
  }
  virtual void forget_prepared_orders() {}
  // Engines that fit by whole passes over the data (ALS, the baselines) rather than by Adam's
  // batches say so: fit_by_passes (train/fit_passes.h) then drives them instead of fit_one_cycle.
  virtual bool fits_by_passes() const { return false; }
  // One such pass (an ALS sweep of users then items, an epoch of sharded training); returns its
  // training loss.
  virtual double train_pass() { return 0; }
  // After a pass and its validation: the engine may complete the record (the last step's lr) and
  // save it (sharded training's --checkpoint).
  virtual void finish_pass(EpochRecord& record) { (void)record; }
  // Passes done before a restart, from a checkpoint: fit_by_passes goes on after them.
  virtual std::vector<EpochRecord> restored_history() { return {}; }
  // Mean squared error over every validation row (a ranking model: its own validation loss, or
  // NaN where it has none).
  virtual double validation_mse() = 0;
  virtual Weights weights() const = 0;
  virtual std::string device_name() const = 0;
};

// What an engine is built from.
class Communicator;

struct EngineSetup {
  ModelShape shape;
  const TrainValidSplit* data = nullptr;  // must outlive the engine
  Weights initial;                        // empty: the engine initialises (nn)
  TrainOptions options;
  Communicator* communicator = nullptr;   // several processes (train/distributed.h); must outlive it
  // Sharded training (--dist shard): where each epoch's shards are saved and resumed from (empty:
  // nowhere), and the run's fingerprint, which a checkpoint must carry to be resumed.
  std::string checkpoint_dir;
  std::uint64_t checkpoint_key = 0;
  // Sharded training on a rank that loaded only its own users' ratings (pipeline/rank_local.h):
  // the ranks' blocks, worked out before the engine, and the rank's ratings, which
  // own_ratings(fn) hands to fn(user, item, rating, trains) one by one, in the same order each
  // call; `data` is then empty. Without them the blocks are drawn from `data`.
  std::shared_ptr<const ShardLayout> shard_layout;
  using RatingFn = std::function<void(std::int32_t user, std::int32_t item, float rating, bool trains)>;
  std::function<void(const RatingFn&)> own_ratings;
};


}  // namespace collab
