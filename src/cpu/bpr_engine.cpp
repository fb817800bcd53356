#include "cpu/bpr_engine.h"

#include <algorithm>
#include <array>
#include <atomic>
#include <cmath>
#include <cstdio>
#include <numeric>

#include "cpu/bpr_step.h"
#include "cpu/cpu_engine.h"
#include "cpu/exact_adam.h"
#include "cpu/gradient_table.h"
#include "cpu/row_store.h"
#include "cpu/step_pool.h"
#include "cpu/update_policies.h"
#include "support/random.h"
#include "train/adam.h"
#include "train/interactions.h"

namespace collab {

namespace {

using Triple = BprTriple;

template <class Policy>
class BprEngine final : public TrainingEngine {
 public:
  BprEngine(const EngineSetup& s, int threads)
      : shape_(s.shape),
        options_(s.options),
        store_(s.shape, s.initial),
        x_(interactions_of(s.data->train, static_cast<size_t>(s.shape.n_users), static_cast<size_t>(s.shape.n_items), s.options)),
        train_(s.data->train),
        pool_(threads, flush_denormals_on_this_thread),
        policy_(UpdateContext{store_, pool_, step_, threads}),
        threads_(threads),
        negatives_rng_(s.options.seed, /*stream=*/5) {
    if (x_.user_rows * x_.item_rows / 8 <= kMostBitsetBytes) {
      positive_bits_.assign((x_.user_rows * x_.item_rows + 63) / 64, 0);
      for (size_t u = 0; u < x_.user_rows; ++u)
        for (auto e = x_.by_user_offset[u]; e < x_.by_user_offset[u + 1]; ++e) {
          const size_t bit = u * x_.item_rows + static_cast<size_t>(x_.by_user_item[static_cast<size_t>(e)]);
          positive_bits_[bit / 64] |= std::uint64_t{1} << (bit % 64);
        }
    }
    size_t skipped = x_.users_without_positives;
    for (size_t u = 1; u < x_.user_rows; ++u)
      skipped += x_.count_of_user(u) > 0 && !has_negatives(u);
    if (skipped > 0)
      std::fprintf(stderr, "collab: note: %zu users have no positive training interaction or no item left to draw as "
                   "a negative; BPR skips them\n", skipped);
    // Validation: each positive validation row of a user BPR trains, with one negative drawn
    // once, so that the epochs' validation losses compare.
    Rng rng(s.options.seed, /*stream=*/6);
    const RatingSet& valid = s.data->valid;
    std::vector<char> read(store_.rows(), 0);
    for (size_t r = 0; r < valid.size(); ++r) {
      const auto u = static_cast<size_t>(valid.user[r]);
      if (!is_positive(options_, valid.rating[r]) || x_.count_of_user(u) == 0 || !has_negatives(u)) continue;
      const Triple t{valid.user[r], item_row(valid.item[r]), item_row(draw_negative(u, rng))};
      valid_.push_back(t);
      read[static_cast<size_t>(t.user)] = read[static_cast<size_t>(t.positive)] = read[static_cast<size_t>(t.negative)] = 1;
    }
    for (size_t row = 0; row < read.size(); ++row)
      if (read[row]) valid_rows_.push_back(static_cast<std::int32_t>(row));
    flush_denormals_on_this_thread();
  }

  std::vector<float> train_batches(const std::int32_t* order, size_t n_batches, size_t bs, const StepHyper* hyper,
                                   const std::atomic<bool>* stop) override {
    const size_t most = bs * static_cast<size_t>(options_.negatives);
    gradients_.size_for((3 * most + 1) / 2, store_.stride());
    std::vector<float> losses;
    losses.reserve(n_batches);
    const PreparedTriples* prepared = prepared_for(order, n_batches * bs);
    for (size_t b = 0; b < n_batches; ++b) {
      if (stop && stop->load(std::memory_order_relaxed)) break;
      if (prepared) {
        const size_t at = static_cast<size_t>(order - prepared->order.load(std::memory_order_relaxed)) + b * bs;
        triples_.assign(prepared->triples.begin() + prepared->first[at], prepared->triples.begin() + prepared->first[at + bs]);
      } else {
        triples_.clear();
        draw_triples(order + b * bs, bs, triples_);
      }
      list_rows();
      policy_.before_forward(gradients_, threads_);
      losses.push_back(forward_backward());
      ++step_;
      policy_.apply(gradients_, as_float(adam_step_constants(hyper[b], step_, options_)), threads_);
    }
    return losses;
  }

  // The mean BPR loss of the validation triples (NaN without any).
  double validation_mse() override {
    if (valid_.empty()) return std::nan("");
    policy_.catch_up(valid_rows_);
    const double sum = bpr_triples_loss(store_, valid_);
    return sum / static_cast<double>(valid_.size());
  }

  Weights weights() const override {
    auto* self = const_cast<BprEngine*>(this);
    std::vector<std::int32_t> all(store_.rows());
    std::iota(all.begin(), all.end(), 0);
    self->policy_.catch_up(all);
    return store_.weights();
  }

  std::string device_name() const override {
    return "cpu (BPR, " + policy_.describe() + ", " + std::to_string(threads_) + (threads_ == 1 ? " thread)" : " threads)");
  }

 private:
  std::int32_t item_row(std::int32_t item) const { return static_cast<std::int32_t>(store_.users()) + item; }

  // Some trained item is not among u's positives.
  bool has_negatives(size_t u) const { return static_cast<size_t>(x_.count_of_user(u)) < x_.trained_items.size(); }

  // Uniform over the trained items u has no positive interaction with, by rejection: a bit per
  // (user, item) where that takes at most kMostBitsetBytes, else a binary search of u's items.
  std::int32_t draw_negative(size_t u, Rng& rng) const {
    const auto* first = x_.by_user_item.data() + x_.by_user_offset[u];
    const auto* last = x_.by_user_item.data() + x_.by_user_offset[u + 1];
    for (;;) {
      const std::int32_t j = x_.trained_items[static_cast<size_t>(rng.below(x_.trained_items.size()))];
      if (!positive_bits_.empty()) {
        const size_t bit = u * x_.item_rows + static_cast<size_t>(j);
        if (!(positive_bits_[bit / 64] >> (bit % 64) & 1)) return j;
      } else if (!std::binary_search(first, last, j)) {
        return j;
      }
    }
  }
  static constexpr size_t kMostBitsetBytes = size_t{64} << 20;
  std::vector<std::uint64_t> positive_bits_;

  // The triples of the training rows rows[0, bs), appended to `out` in order.
  void draw_triples(const std::int32_t* rows, size_t bs, std::vector<Triple>& out) {
    for (size_t b = 0; b < bs; ++b) {
      const auto r = static_cast<size_t>(rows[b]);
      const auto u = static_cast<size_t>(train_.user[r]);
      if (!is_positive(options_, train_.rating[r]) || !has_negatives(u)) continue;
      for (int n = 0; n < options_.negatives; ++n)
        out.push_back({train_.user[r], item_row(train_.item[r]), item_row(draw_negative(u, negatives_rng_))});
    }
  }

  // An epoch's triples, drawn on fit's shuffling thread while the epoch before trains (where
  // sparse mode's rating engine lays out its ratings, epoch_layout.h), so that drawing costs
  // the steps nothing: the same draws from the same generator in the same order as drawing
  // each batch's in turn (fit prepares every epoch, in order), so the same bits. Two: the
  // epoch training and the next; `order` is null while one is being written.
  struct PreparedTriples {
    std::atomic<const std::int32_t*> order{nullptr};
    size_t n = 0;                     // the rows of whole batches
    std::vector<Triple> triples;      // in batch order
    std::vector<std::uint32_t> first;  // per row of the order: its first triple; then their count
  };
  std::array<PreparedTriples, 2> prepared_;
  static constexpr size_t kMostPreparedBytes = size_t{128} << 20;
  size_t next_prepared_ = 0;

 public:
  void prepare_order(const std::int32_t* order, size_t n) override {
    PreparedTriples& p = prepared_[next_prepared_];
    next_prepared_ ^= 1;
    p.order.store(nullptr, std::memory_order_release);
    const auto bs = static_cast<size_t>(options_.batch_size);
    p.n = bs > 0 ? n / bs * bs : 0;  // fit's batches: the rows after the last whole one never train
    // Within a budget (ml-25m's 20 million positives would take a gigabyte and are not): beyond
    // it no epoch is prepared and every batch draws its own, as the same generator would.
    if (p.n * (sizeof(Triple) * static_cast<size_t>(options_.negatives) + 4) > kMostPreparedBytes) return;
    p.triples.clear();
    p.first.resize(p.n + 1);
    for (size_t r = 0; r < p.n; ++r) {
      p.first[r] = static_cast<std::uint32_t>(p.triples.size());
      draw_triples(order + r, 1, p.triples);
    }
    p.first[p.n] = static_cast<std::uint32_t>(p.triples.size());
    p.order.store(order, std::memory_order_release);
  }
  void forget_prepared_orders() override {
    for (PreparedTriples& p : prepared_) p.order.store(nullptr, std::memory_order_release);
  }

 private:
  const PreparedTriples* prepared_for(const std::int32_t* order, size_t n) const {
    for (const PreparedTriples& p : prepared_) {
      const std::int32_t* first = p.order.load(std::memory_order_acquire);
      if (first && order >= first && order + n <= first + p.n) return &p;
    }
    return nullptr;
  }

  void list_rows() { list_triple_rows(triples_, store_.states, lister_, gradients_, policy_, slots_); }

  // The batch's mean loss, with its gradient in the table: sparse mode's by whole vectors where
  // the processor has AVX2 (cpu/bpr_kernels.h), exact mode's by bpr_triple's plain loops.
  float forward_backward() {
    if (triples_.empty()) return 0.0f;
    const float scale = 1.0f / static_cast<float>(triples_.size());
    const double sum = bpr_triples_pass(store_, gradients_, triples_, slots_, scale, Policy::kVectorForward, scores_);
    return static_cast<float>(sum / static_cast<double>(triples_.size()));
  }

  ModelShape shape_;
  TrainOptions options_;
  RowStore store_;
  Interactions x_;
  const RatingSet& train_;
  StepPool pool_;
  std::int64_t step_ = 0;
  Policy policy_;
  int threads_;
  Rng negatives_rng_;
  GradientTable gradients_;
  std::vector<Triple> triples_, valid_;
  std::vector<std::int32_t> slots_, valid_rows_;
  std::vector<float> scores_;  // the sparse pass's scratch
  BatchRowLister lister_;
};

}  // namespace

std::unique_ptr<TrainingEngine> make_bpr_engine(const EngineSetup& setup) {
  const TrainOptions& o = setup.options;
  if (o.optimizer == OptimizerKind::sparse_adam) {
    // As sparse mode's rating loss: a small batch's step is too short to share.
    const int threads = o.threads > 0 ? o.threads : o.batch_size >= 512 ? default_thread_count() : 1;
    return std::make_unique<BprEngine<SparseUpdate>>(setup, threads);
  }
  const int threads = o.threads > 0 ? o.threads : default_thread_count();
  if (!o.defer_exact_updates) return std::make_unique<BprEngine<DenseExactUpdate>>(setup, threads);
  return std::make_unique<BprEngine<DeferredExactUpdate>>(setup, threads);
}

}  // namespace collab
