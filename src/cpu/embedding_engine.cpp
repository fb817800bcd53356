// The hand-written CPU trainer for the embedding models (dot, dot-range, dot-bias).
//
// Why by hand: a generic autograd step for this model allocates a dozen tensors and walks every
// parameter several times. Here a step is two halves with a seam between them:
//   compute_gradients: the batch's rows are listed and brought up to date, then a forward and
//     backward pass over its ratings (forward_backward.h) adds each gradient into the batch's
//     GradientTable, one slot per row the batch touches, so the rows stay short and the
//     gradients stay in the fastest cache;
//   apply_gradients: the mode's update policy (update_policies.h) applies the table with the
//     step's Adam constants.
// The parameters and Adam's state live in a RowStore (row_store.h); the ratings in step order
// come from an EpochLayout (epoch_layout.h); exact mode's thread count from a ThreadProbe.
#include <immintrin.h>

#include <chrono>
#include <cmath>
#include <memory>
#include <numeric>

#include "train/adam.h"
#include "cpu/cpu_engine.h"
#include "cpu/epoch_layout.h"
#include "cpu/exact_adam.h"
#include "cpu/forward_backward.h"
#include "cpu/gradient_table.h"
#include "cpu/row_store.h"
#include "cpu/step_pool.h"
#include "cpu/thread_probe.h"
#include "cpu/update_policies.h"
#include "support/cores.h"
#include "support/error.h"
#include "train/distributed.h"
#include "train/forward.h"

namespace collab {
namespace {

template <class Policy>
class CpuEmbeddingEngine final : public TrainingEngine {
 public:
  CpuEmbeddingEngine(const EngineSetup& s, int threads, bool adaptive)
      : shape_(s.shape),
        options_(s.options),
        store_(s.shape, s.initial),
        layout_(s.data->train, store_.users()),
        valid_(examples_of(s.data->valid, store_.users())),
        probe_(adaptive, threads),
        pool_(threads, flush_denormals_on_this_thread),
        policy_(UpdateContext{store_, pool_, step_, threads}),
        communicator_(s.communicator && s.communicator->world_size() > 1 ? s.communicator : nullptr) {
    // The rows validation reads, each once, in row order (marked, then collected: a sort of
    // ml-25m's 10 million took a second).
    std::vector<char> read(store_.rows(), 0);
    for (const Example& e : valid_) read[static_cast<size_t>(e.user_row)] = read[static_cast<size_t>(e.item_row)] = 1;
    for (size_t row = 0; row < read.size(); ++row)
      if (read[row]) valid_rows_.push_back(static_cast<std::int32_t>(row));
    flush_denormals_on_this_thread();
  }

  void prepare_order(const std::int32_t* order, size_t n) override { layout_.prepare(order, n); }
  void forget_prepared_orders() override { layout_.forget(); }

  std::vector<float> train_batches(const std::int32_t* order, size_t n_batches, size_t bs,
                                   const StepHyper* hyper, const std::atomic<bool>* stop) override {
    gradients_.size_for(bs, store_.stride());
    layout_.begin_pass(order, n_batches, bs, &pool_, probe_.most());
    std::vector<float> losses;
    losses.reserve(n_batches);
    for (size_t b = 0; b < n_batches; ++b) {
      if (stop && stop->load(std::memory_order_relaxed)) break;
      const Example* batch = layout_.batch(b);
      const int threads = probe_.threads_for_this_step();
      const auto started = std::chrono::steady_clock::now();
      losses.push_back(compute_gradients(batch, bs, threads));
      apply_gradients(hyper[b], threads);
      if (probe_.adaptive()) probe_.record(threads, std::chrono::steady_clock::now() - started);
    }
    return losses;
  }

  double validation_mse() override {
    policy_.catch_up(valid_rows_);  // only the rows it reads: the rest wait for their next use
    // The squared errors of a block of ratings shared by the threads, then summed in rating
    // order: the same sum on any number of threads.
    constexpr size_t kBlock = size_t{1} << 16;
    const ForwardModel model = forward_model();
    squares_.resize(std::min(kBlock, valid_.size()));
    double sum = 0;
    for (size_t first = 0; first < valid_.size(); first += kBlock) {
      const size_t n = std::min(kBlock, valid_.size() - first);
      pool_.run(probe_.most(), [&](int part, int parts) {
        const size_t from = n * static_cast<size_t>(part) / static_cast<size_t>(parts);
        const size_t to = n * static_cast<size_t>(part + 1) / static_cast<size_t>(parts);
        squared_errors(valid_.data() + first + from, to - from, model, shape_, squares_.data() + from);
      });
      for (size_t r = 0; r < n; ++r) sum += squares_[r];
    }
    return valid_.empty() ? std::nan("") : sum / static_cast<double>(valid_.size());
  }

  Weights weights() const override {
    auto* self = const_cast<CpuEmbeddingEngine*>(this);
    if (self->all_rows_.size() != store_.rows()) {
      self->all_rows_.resize(store_.rows());
      std::iota(self->all_rows_.begin(), self->all_rows_.end(), 0);
    }
    self->policy_.catch_up(all_rows_);  // a no-op when up to date
    return store_.weights();
  }

  std::string device_name() const override {
    const std::string how = policy_.describe();
    const std::string n = std::to_string(probe_.most());
    if (probe_.adaptive() && probe_.most() > 1) return "cpu (" + how + ", 1 to " + n + " threads, by load)";
    return "cpu (" + how + ", " + n + (probe_.most() == 1 ? " thread)" : " threads)");
  }

  // The first half of a step: the batch's rows listed and brought up to date, then its mean
  // squared error, with d loss / d param in the gradient table.
  float compute_gradients(const Example* batch, size_t bs, int threads) {
    list_batch_rows(batch, bs, store_.states, lister_, gradients_, policy_);
    policy_.before_forward(gradients_, threads);
    dz_.resize(bs);
    if (communicator_) return exchange_and_compute_gradients(batch, bs);
    if (!Policy::kShareThreads && threads > 1) return compute_gradients_shared(batch, bs, threads);
    const double sum = Policy::kVectorForward
                           ? sparse_forward_backward(batch, gradients_.slots.data(), bs, forward_model(), dz_.data())
                           : batch_forward_backward(batch, gradients_.slots.data(), bs, forward_model(), dz_.data());
    return static_cast<float>(sum / static_cast<double>(bs));
  }

  // Sparse mode on several threads: the ratings' errors shared by rating, the gradients by slot
  // (each slot still summed in rating order), so the bits are those of one thread.
  float compute_gradients_shared(const Example* batch, size_t bs, int threads) {
    diffs_.resize(bs);
    const ForwardModel model = forward_model();
    pool_.run(threads, [&](int part, int parts) {
      const size_t first = bs * static_cast<size_t>(part) / static_cast<size_t>(parts);
      const size_t last = bs * static_cast<size_t>(part + 1) / static_cast<size_t>(parts);
      batch_errors(batch + first, last - first, bs, model, true, dz_.data() + first, diffs_.data() + first);
    });
    double loss = 0;
    for (float diff : diffs_) loss += static_cast<double>(diff) * diff;
    const auto slots = static_cast<std::int64_t>(gradients_.rows.size());
    pool_.run(threads, [&](int part, int parts) {
      batch_gradients(batch, gradients_.slots.data(), bs, model, true, dz_.data(), KernelPath::best,
                      static_cast<std::int32_t>(slots * part / parts), static_cast<std::int32_t>(slots * (part + 1) / parts));
    });
    return static_cast<float>(loss / static_cast<double>(bs));
  }

  // Across processes (train/distributed.h): this rank's share of the batch's errors, every
  // rank's gathered, then every gradient in global batch order: the bits of one process.
  float exchange_and_compute_gradients(const Example* batch, size_t bs) {
    const auto ranks = static_cast<size_t>(communicator_->world_size());
    const size_t share = (bs + ranks - 1) / ranks;
    const size_t first = std::min(bs, share * static_cast<size_t>(communicator_->rank()));
    const size_t count = std::min(bs, first + share) - first;
    mine_.assign(2 * share, 0.0f);  // this rank's d loss / d score, then its errors
    batch_errors(batch + first, count, bs, forward_model(), Policy::kVectorForward, mine_.data(), mine_.data() + share);
    gathered_.resize(2 * share * ranks);
    communicator_->allgather(mine_.data(), 2 * share, gathered_.data());
    double loss = 0;
    for (size_t b = 0; b < bs; ++b) {
      const float* from = gathered_.data() + 2 * share * (b / share);
      dz_[b] = from[b % share];
      const float diff = from[share + b % share];
      loss += static_cast<double>(diff) * diff;
    }
    batch_gradients(batch, gradients_.slots.data(), bs, forward_model(), Policy::kVectorForward, dz_.data());
    return static_cast<float>(loss / static_cast<double>(bs));
  }

  // The second half: the gradient table applied by the mode's policy (which zeroes it).
  void apply_gradients(const StepHyper& hyper, int threads) {
    ++step_;
    policy_.apply(gradients_, as_float(adam_step_constants(hyper, step_, options_)), threads);
  }

 private:
  ForwardModel forward_model() const {
    return {store_.factors(), shape_.has_bias(), shape_.has_range(), shape_.y_low, shape_.y_high - shape_.y_low,
            store_.param(0), 3 * store_.stride(), gradients_.gradients(), store_.stride()};
  }

  ModelShape shape_;
  TrainOptions options_;
  RowStore store_;
  EpochLayout layout_;
  std::vector<Example> valid_;                       // the validation ratings
  std::vector<std::int32_t> valid_rows_, all_rows_;  // the rows validation reads; every row
  ThreadProbe probe_;
  StepPool pool_;
  std::int64_t step_ = 0;  // steps applied so far
  Policy policy_;
  GradientTable gradients_;
  std::vector<float> dz_;  // per rating of the batch: d loss / d score
  BatchRowLister lister_;
  Communicator* communicator_;
  std::vector<float> mine_, gathered_;  // across processes: this rank's errors, every rank's
  std::vector<float> diffs_;            // on several threads: each rating's error
  std::vector<double> squares_;         // validation's squared errors, a block at a time
};

}  // namespace

int default_thread_count() { return std::min(usable_cores(), 2); }

constexpr int kSparseShareFromBatch = 512;

std::unique_ptr<TrainingEngine> make_cpu_engine(const EngineSetup& setup) {
  if (setup.shape.arch == Arch::nn) throw internal_error("the CPU engine trains embedding models only");
  const TrainOptions& o = setup.options;
  // With --threads 0 the thread count is chosen by measuring (thread_probe.h): one thread or all,
  // whichever runs the steps faster here and now. The results are the same bits either way.
  const bool adaptive = o.threads == 0;
  const int threads = adaptive ? default_thread_count() : o.threads;
  if (o.optimizer == OptimizerKind::sparse_adam) {
    // A sparse step of a small batch is a few microseconds: sharing it costs more than it saves
    // (ml-latest-small at bs 64 runs 3x slower on two threads), and so would measuring that.
    // From batches of 512 the rows of a step are worth sharing (ml-25m's shape, bs 1024: 1.5x).
    const bool worth_sharing = o.batch_size >= kSparseShareFromBatch;
    const int sparse_threads = o.threads > 0 ? o.threads : worth_sharing ? threads : 1;
    return std::make_unique<CpuEmbeddingEngine<SparseUpdate>>(setup, sparse_threads, adaptive && worth_sharing);
  }
  if (!o.defer_exact_updates) return std::make_unique<CpuEmbeddingEngine<DenseExactUpdate>>(setup, threads, adaptive);
  return std::make_unique<CpuEmbeddingEngine<DeferredExactUpdate>>(setup, threads, adaptive);
}

}  // namespace collab
