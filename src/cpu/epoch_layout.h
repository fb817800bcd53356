// The CPU engine's ratings in step order. Each step reads its batch's ratings; gathered one by
// one from a shuffled order they are scattered over the whole training set, so they are gathered
// ahead: a few dozen batches at a time, or a whole epoch on fit's shuffling thread while the
// epoch before trains (prepare_order), where gathering them costs the step nothing.
#pragma once

#include <array>
#include <atomic>
#include <cstddef>
#include <cstdint>
#include <vector>

#include "cpu/forward_backward.h"
#include "cpu/step_pool.h"
#include "train/split.h"

namespace collab {

class EpochLayout {
 public:
  // The training ratings as examples; items' rows follow the `users` users' rows.
  EpochLayout(const RatingSet& train, size_t users);

  // Lays out the ratings of order[0, n) on the calling thread, within a memory budget (two
  // epochs' worth at most; ml-25m's 20 million ratings would take 480 MB and are not).
  void prepare(const std::int32_t* order, size_t n);
  void forget();

  // Batch b's bs ratings, in order: from a prepared epoch when `order` is one, else gathered
  // kGatheredBatches batches at a time into a buffer, by `threads` of `pool`. Batches are asked
  // for in increasing order within a call of the engine's train_batches, starting at 0
  // (begin_pass resets).
  void begin_pass(const std::int32_t* order, size_t n_batches, size_t bs, StepPool* pool = nullptr, int threads = 1);
  const Example* batch(size_t b);

 private:
  static constexpr size_t kGatheredBatches = 64;
  void gather(const std::int32_t* order, size_t n, Example* out) const;
  const Example* prepared_ratings(const std::int32_t* order, size_t n) const;

  std::vector<Example> examples_;  // the training ratings, in their order
  // A pass's state.
  const std::int32_t* order_ = nullptr;
  size_t n_batches_ = 0, bs_ = 0;
  StepPool* pool_ = nullptr;
  int threads_ = 1;
  const Example* prepared_ = nullptr;
  std::vector<Example> gathered_;  // those of the next few batches, in step order
  // Epochs' ratings in their order, laid out by prepare: one for the epoch training, one for the
  // next. `order` is null while one is being written.
  struct PreparedEpoch {
    std::atomic<const std::int32_t*> order{nullptr};
    size_t n = 0;
    std::vector<Example> examples;
  };
  std::array<PreparedEpoch, 2> prepared_epochs_;
  size_t next_prepared_ = 0;
};

// The ratings of `set` as examples (items' rows after the `users` users' rows).
std::vector<Example> examples_of(const RatingSet& set, size_t users);

}  // namespace collab
