// The hand-written CPU trainer for the embedding models (dot, dot-range, dot-bias).
//
// Why by hand: a generic autograd step for this model allocates a dozen tensors and walks every
// parameter several times. Here a batch is a forward and backward pass over its 64 rows
// (forward_backward.h), then fastai's Adam. That update touches every parameter every step (a
// row without a gradient still decays and drifts along its momentum), and it is what bounds the
// speed.
//
// Each user and item is one row: its parameters (factors, then the bias for dot-bias), Adam's m
// and sqrt(v), one after another in memory, each span padded to a whole number of vectors. A step
// reads a few scattered rows; keeping all that a row needs together makes each one a single short
// stream from memory. Gradients live in a small per-batch table, one slot per row the batch
// touches, so the rows stay short and the gradients stay in the fastest cache.
#include <immintrin.h>
#include <sched.h>
#include <sys/mman.h>

#include <algorithm>
#include <array>
#include <chrono>
#include <cmath>
#include <cstring>
#include <memory>
#include <new>
#include <numeric>

#include "cpu/adam_step.h"
#include "cpu/cpu_engine.h"
#include "cpu/forward_backward.h"
#include "support/error.h"
#include "train/forward.h"
#include "cpu/sparse_adam.h"
#include "cpu/step_pool.h"

namespace collab {
namespace {

// Float storage aligned for vectors. A large table sits on 2 MiB pages where the kernel allows
// it: a step touches a hundred rows scattered over megabytes, and with 4 KiB pages nearly every
// one of them also misses the TLB.
struct FloatBuffer {
  std::unique_ptr<float, void (*)(void*)> data{nullptr, std::free};
  void assign_zero(size_t n) {
    constexpr size_t kHugePage = size_t{2} << 20;
    const size_t align = n * sizeof(float) >= kHugePage ? kHugePage : 64;
    const size_t bytes = ((n * sizeof(float) + align - 1) / align) * align;
    data.reset(static_cast<float*>(std::aligned_alloc(align, bytes ? bytes : align)));
    if (!data) throw internal_error("out of memory for the model's parameters");
    if (align == kHugePage) madvise(data.get(), bytes, MADV_HUGEPAGE);  // a hint; may be refused
    std::memset(data.get(), 0, bytes);
  }
  float* get() const { return data.get(); }
};

// Rarely touched rows decay towards zero into denormal floats, which are many times slower to
// compute with; flushing them to zero changes no result that matters. Per thread.
void flush_denormals_on_this_thread() { _mm_setcsr(_mm_getcsr() | 0x8040); }

// fastai's Adam on n contiguous parameters whose gradient is in g; leaves g zeroed for the next
// batch. The optimizer keeps rms = sqrt(v) rather than Adam's v: the same numbers up to float
// rounding, and it lets parameters without a gradient (nearly all, every step) update their rms
// with a multiplication instead of a square root. Compiled for AVX2 and for plain x86-64, picked
// at run time; no FMA, so both give the same bits; -fno-math-errno lets the sqrt vectorise.
__attribute__((target_clones("avx2", "default")))
void adam_update(float* __restrict p, float* __restrict m, float* __restrict rms,
                 float* __restrict g, size_t n, AdamStep c) {
#pragma omp simd
  for (size_t j = 0; j < n; ++j) {
    adam_step_with_gradient(p[j], m[j], rms[j], g[j], c);
    g[j] = 0;
  }
}

// The update of parameters without a gradient: m = beta1 m, v = beta2 v (rms = sqrt(beta2) rms).
#define COLLAB_NO_GRAD_STEP(c, p, m, r)                                \
  do {                                                                 \
    (m) = (c).mom * (m);                                               \
    (r) = (c).sqrt_beta2 * (r);                                        \
    (p) = (p) * (c).decay - (c).step_size * (m) / ((r) * (c).inv_sqrt_debias2 + (c).eps); \
  } while (0)

// One step for a span of parameters without a gradient.
__attribute__((target_clones("avx2", "default")))
void adam_update_no_grad(float* __restrict p, float* __restrict m, float* __restrict rms, size_t n,
                         AdamStep c) {
#pragma omp simd
  for (size_t j = 0; j < n; ++j) {
    float pj = p[j], mj = m[j], rj = rms[j];
    COLLAB_NO_GRAD_STEP(c, pj, mj, rj);
    p[j] = pj, m[j] = mj, rms[j] = rj;
  }
}

// Several steps for a span without a gradient, sixteen parameters at a time held in registers
// throughout: the same arithmetic, so the same bits, as adam_update_no_grad once per step.
__attribute__((target_clones("avx2", "default")))
void adam_replay_no_grad(float* __restrict p, float* __restrict m, float* __restrict rms, size_t n,
                         const AdamStep* steps, size_t count) {
  constexpr size_t kLanes = 8;
  for (size_t j0 = 0; j0 < n; j0 += kLanes) {
    const size_t lanes = std::min(kLanes, n - j0);
    float pp[kLanes] = {}, mm[kLanes] = {}, rr[kLanes] = {};  // unused lanes stay 0: 0 / eps
    for (size_t l = 0; l < lanes; ++l) pp[l] = p[j0 + l], mm[l] = m[j0 + l], rr[l] = rms[j0 + l];
    for (size_t s = 0; s < count; ++s) {
      const AdamStep& c = steps[s];
#pragma omp simd
      for (size_t l = 0; l < kLanes; ++l) COLLAB_NO_GRAD_STEP(c, pp[l], mm[l], rr[l]);
    }
    for (size_t l = 0; l < lanes; ++l) p[j0 + l] = pp[l], m[j0 + l] = mm[l], rms[j0 + l] = rr[l];
  }
}

class CpuEmbeddingEngine final : public TrainingEngine {
  // How the parameters a step does not touch are updated.
  enum class Mode {
    dense,   // every row, every step (options.lazy_exact = false)
    lazy,    // exact mode: replayed bit for bit when the row is next read
    sparse,  // --optimizer sparse-adam: caught up in closed form when the row is next read
  };
  // What a step needs to know of a row besides its numbers, in 16 bytes: one load brings it all.
  struct RowState {
    std::int64_t clock = 0;   // the step it was last brought up to (lazy and sparse modes)
    std::uint32_t stamp = 0;  // the last batch that listed it
    std::int32_t slot = 0;    // its gradient's slot in that batch
  };

 public:
  explicit CpuEmbeddingEngine(const EngineSetup& s)
      : shape_(s.shape), options_(s.options), k_(static_cast<size_t>(s.shape.factors)),
        width_(k_ + (s.shape.has_bias() ? 1 : 0)), stride_((width_ + 7) / 8 * 8) {
    if (shape_.arch == Arch::nn) throw internal_error("the CPU engine trains embedding models only");
    mode_ = options_.optimizer == OptimizerKind::sparse_adam ? Mode::sparse
            : options_.lazy_exact                            ? Mode::lazy
                                                             : Mode::dense;
    // Sparse mode's steps are too small to share out: two threads made them slower.
    adaptive_threads_ = options_.threads == 0 && mode_ != Mode::sparse;
    threads_ = mode_ == Mode::sparse ? 1 : adaptive_threads_ ? default_thread_count() : options_.threads;
    users_ = static_cast<size_t>(shape_.n_users);
    items_ = static_cast<size_t>(shape_.n_items);
    // The padding after each span stays zero: the updates keep a zero parameter with zero
    // moments at zero, and the dot product never reads it.
    state_.assign_zero((users_ + items_) * 3 * stride_);
    load(s.initial);
    rows_.assign(users_ + items_, RowState{});
    auto to_examples = [&](const RatingSet& set, std::vector<Example>& out) {
      out.resize(set.size());
      for (size_t r = 0; r < set.size(); ++r)
        out[r] = {set.user[r], static_cast<std::int32_t>(users_) + set.item[r], set.rating[r]};
    };
    to_examples(s.data->train, examples_);
    to_examples(s.data->valid, valid_);
    for (const Example& e : valid_) valid_rows_.push_back(e.user_row), valid_rows_.push_back(e.item_row);
    std::sort(valid_rows_.begin(), valid_rows_.end());
    valid_rows_.erase(std::unique(valid_rows_.begin(), valid_rows_.end()), valid_rows_.end());
    log_mom_.push_back(0.0);
    log_decay_.push_back(0.0);
    flush_denormals_on_this_thread();
    pool_ = std::make_unique<StepPool>(threads_, flush_denormals_on_this_thread);
  }

  // Gathers an epoch's ratings in its order ahead of time, on the thread that calls this (fit's
  // shuffling thread): reading them one by one, scattered over the training set, cost sparse-mode
  // epochs 5-7%. Two epochs' worth at most, within a memory budget; beyond it (ml-25m's 20
  // million ratings would take 480 MB) the steps gather their ratings themselves.
  void prepare_order(const std::int32_t* order, size_t n) override {
    constexpr size_t kBudgetBytes = size_t{128} << 20;
    if (2 * n * sizeof(Example) > kBudgetBytes) return;
    PreparedEpoch& epoch = prepared_[next_prepared_];
    next_prepared_ ^= 1;  // the other one may be training now
    epoch.order.store(nullptr, std::memory_order_release);
    try {
      epoch.examples.resize(n);
    } catch (const std::bad_alloc&) {
      return;  // the steps gather for themselves
    }
    gather(order, n, epoch.examples.data());
    epoch.n = n;
    epoch.order.store(order, std::memory_order_release);
  }

  void forget_prepared_orders() override {
    for (PreparedEpoch& epoch : prepared_) {
      epoch.order.store(nullptr, std::memory_order_release);
      std::vector<Example>().swap(epoch.examples);
    }
  }

  std::vector<float> train_batches(const std::int32_t* order, size_t n_batches, size_t bs,
                                   const StepHyper* hyper, const std::atomic<bool>* stop) override {
    size_gradient_table(bs);
    const Example* prepared = prepared_ratings(order, n_batches * bs);
    std::vector<float> losses;
    losses.reserve(n_batches);
    for (size_t b = 0; b < n_batches; ++b) {
      if (stop && stop->load(std::memory_order_relaxed)) break;
      if (!prepared && b % kGatheredBatches == 0)
        gather_batches(order, b, std::min(n_batches, b + kGatheredBatches), bs);
      const Example* batch = prepared ? prepared + b * bs : batch_.data() + (b % kGatheredBatches) * bs;
      const int threads = threads_for_this_step();
      const auto started = std::chrono::steady_clock::now();
      collect_touched_rows(batch, bs);
      if (mode_ == Mode::lazy) {
        catch_up_batch_rows(threads);
      } else if (mode_ == Mode::sparse) {
        finish_catch_up();  // of the rows collect_touched_rows noted
      }
      losses.push_back(forward_backward(batch, bs));
      ++step_;
      const AdamStep c = constants(hyper[b]);
      if (mode_ == Mode::dense) {
        dense_step(c, threads);
      } else {
        record_step(c);
        update_touched_rows(c);
      }
      if (adaptive_threads_) record_step_time(threads, std::chrono::steady_clock::now() - started);
    }
    return losses;
  }

  double validation_mse() override {
    catch_up_rows(valid_rows_);
    // A chunk's scores first, then their errors: the same numbers as one rating at a time,
    // with the ratings' arithmetic overlapped.
    constexpr size_t kChunk = 256;
    float z[kChunk];
    const ForwardModel model = forward_model();
    double sum = 0;
    for (size_t first = 0; first < valid_.size(); first += kChunk) {
      const size_t n = std::min(kChunk, valid_.size() - first);
      validation_scores(valid_.data() + first, n, model, z);
      for (size_t r = 0; r < n; ++r) {
        const double diff = output(z[r]) - valid_[first + r].rating;
        sum += diff * diff;
      }
    }
    return valid_.empty() ? std::nan("") : sum / static_cast<double>(valid_.size());
  }

  Weights weights() const override {
    const_cast<CpuEmbeddingEngine*>(this)->catch_up_all_rows();  // a no-op when up to date
    Weights w;
    auto table = [&](const char* name, size_t first_row, size_t rows, size_t from, size_t count) {
      NamedTensor t{name, {static_cast<std::int64_t>(rows)}, {}};
      if (count > 1) t.shape.push_back(static_cast<std::int64_t>(count));
      t.values.reserve(rows * count);
      for (size_t r = 0; r < rows; ++r) {
        const float* p = param(first_row + r) + from;
        t.values.insert(t.values.end(), p, p + count);
      }
      w.tensors.push_back(std::move(t));
    };
    table(tables::user_factors, 0, users_, 0, k_);
    table(tables::item_factors, users_, items_, 0, k_);
    if (shape_.has_bias()) {
      table(tables::user_bias, 0, users_, k_, 1);
      table(tables::item_bias, users_, items_, k_, 1);
    }
    return w;
  }

  std::string device_name() const override {
    if (mode_ == Mode::sparse) return "cpu (sparse updates)";
    const std::string how = mode_ == Mode::lazy ? "deferred exact updates, " : "every row every step, ";
    const std::string n = std::to_string(threads_);
    if (adaptive_threads_ && threads_ > 1) return "cpu (" + how + "1 to " + n + " threads, by load)";
    return "cpu (" + how + n + (threads_ == 1 ? " thread)" : " threads)");
  }

 private:
  // A row's three spans of `stride_` floats, and the gradient of the batch's slot `slot`.
  float* param(size_t row) const { return state_.get() + row * 3 * stride_; }
  float* moment(size_t row) const { return param(row) + stride_; }
  float* rms(size_t row) const { return param(row) + 2 * stride_; }
  float* gradient(size_t slot) const { return gradients_.get() + slot * stride_; }
  RowTable row_table() const { return {state_.get(), 3 * stride_, stride_}; }

  void load(const Weights& w) {
    auto copy = [&](const char* name, size_t first_row, size_t rows, size_t from, size_t count) {
      const NamedTensor& t = w.get(name);
      if (t.values.size() != rows * count) throw internal_error(std::string("wrong size for ") + name);
      for (size_t r = 0; r < rows; ++r)
        std::memcpy(param(first_row + r) + from, t.values.data() + r * count, count * sizeof(float));
    };
    copy(tables::user_factors, 0, users_, 0, k_);
    copy(tables::item_factors, users_, items_, 0, k_);
    if (shape_.has_bias()) {
      copy(tables::user_bias, 0, users_, k_, 1);
      copy(tables::item_bias, users_, items_, k_, 1);
    }
  }

  float output(float z) const { return embedding_output(shape_, z); }
  ForwardModel forward_model() const {
    return {k_, shape_.has_bias(), shape_.has_range(), shape_.y_low, shape_.y_high - shape_.y_low,
            state_.get(), 3 * stride_, gradients_.get(), stride_};
  }

  // Gathers the ratings of batches [first, last) in step order, a few dozen batches at a time:
  // independent loads, which the processor overlaps, rather than scattered ones inside a step.
  static constexpr size_t kGatheredBatches = 64;
  void gather_batches(const std::int32_t* order, size_t first, size_t last, size_t bs) {
    batch_.resize((last - first) * bs);
    gather(order + first * bs, batch_.size(), batch_.data());
  }
  void gather(const std::int32_t* order, size_t n, Example* out) const {
    constexpr size_t kAhead = 16;
    for (size_t r = 0; r < n; ++r) {
      if (r + kAhead < n)
        _mm_prefetch(reinterpret_cast<const char*>(&examples_[static_cast<size_t>(order[r + kAhead])]), _MM_HINT_T0);
      out[r] = examples_[static_cast<size_t>(order[r])];
    }
  }

  // The ratings of order[0, n) if prepare_order laid them out, else null.
  const Example* prepared_ratings(const std::int32_t* order, size_t n) const {
    for (const PreparedEpoch& epoch : prepared_) {
      const std::int32_t* first = epoch.order.load(std::memory_order_acquire);
      if (first && order >= first && order + n <= first + epoch.n) return epoch.examples.data() + (order - first);
    }
    return nullptr;
  }

  void size_gradient_table(size_t bs) {
    if (gradient_slots_ < 2 * bs) {
      gradient_slots_ = 2 * bs;
      gradients_.assign_zero(gradient_slots_ * stride_);
    }
    slots_.resize(2 * bs);
  }

  // The batch's distinct rows and each rating's two gradient slots; in sparse mode, also notes
  // the rows that are behind for the catch-up, while their state is at hand.
  void collect_touched_rows(const Example* batch, size_t bs) {
    touched_.clear();
    if (++batch_stamp_ == 0) {  // wrapped after 2^32 batches: forget the old stamps
      for (RowState& r : rows_) r.stamp = 0;
      batch_stamp_ = 1;
    }
    if (mode_ == Mode::sparse) begin_catch_up(2 * bs);
    auto add = [&](std::int32_t row) {
      RowState& r = rows_[static_cast<size_t>(row)];
      if (r.stamp != batch_stamp_) {
        r.stamp = batch_stamp_;
        r.slot = static_cast<std::int32_t>(touched_.size());
        touched_.push_back(row);
        if (mode_ == Mode::sparse) note_for_catch_up(row, r.clock);
      }
      return r.slot;
    };
    constexpr size_t kAhead = 8;  // ratings: the row states are scattered over a few hundred KiB
    for (size_t b = 0; b < bs; ++b) {
      if (b + kAhead < bs) {
        auto state_of = [&](std::int32_t row) { return reinterpret_cast<const char*>(&rows_[static_cast<size_t>(row)]); };
        _mm_prefetch(state_of(batch[b + kAhead].user_row), _MM_HINT_T0);
        _mm_prefetch(state_of(batch[b + kAhead].item_row), _MM_HINT_T0);
      }
      slots_[2 * b] = add(batch[b].user_row);
      slots_[2 * b + 1] = add(batch[b].item_row);
    }
    if (mode_ == Mode::dense) {  // sorted: dense mode walks the spans between them
      std::sort(touched_.begin(), touched_.end());
      for (size_t s = 0; s < touched_.size(); ++s)
        rows_[static_cast<size_t>(touched_[s])].slot = static_cast<std::int32_t>(s);
      for (size_t b = 0; b < bs; ++b) {
        slots_[2 * b] = rows_[static_cast<size_t>(batch[b].user_row)].slot;
        slots_[2 * b + 1] = rows_[static_cast<size_t>(batch[b].item_row)].slot;
      }
    }
  }

  // MSE loss of one batch; accumulates its gradient (d loss / d param) into the batch's slots.
  float forward_backward(const Example* batch, size_t bs) {
    dz_.resize(bs);
    const double sum = mode_ == Mode::sparse
                           ? sparse_forward_backward(batch, slots_.data(), bs, forward_model(), dz_.data())
                           : batch_forward_backward(batch, slots_.data(), bs, forward_model(), dz_.data());
    return static_cast<float>(sum / static_cast<double>(bs));
  }

  AdamStep constants(const StepHyper& h) const { return float_step(adam_constants(h, step_, options_)); }

  // What the deferred updates need of this step: its constants (exact mode), or the running
  // sums its closed form reads (sparse mode).
  void record_step(const AdamStep& c) {
    if (mode_ == Mode::lazy) {
      step_constants_.push_back(c);
      return;
    }
    log_mom_.push_back(log_mom_.back() + std::log(static_cast<double>(c.mom)));
    log_decay_.push_back(log_decay_.back() + std::log(static_cast<double>(c.decay)));
    last_constants_ = c;
  }

  // Exact mode: replays the steps since the row's clock, up to the end of step `now`.
  void catch_up(size_t row, std::int64_t now) {
    const std::int64_t from = rows_[row].clock;
    if (now <= from) return;
    adam_replay_no_grad(param(row), moment(row), rms(row), stride_, step_constants_.data() + from,
                        static_cast<size_t>(now - from));
    rows_[row].clock = now;
  }

  // Sparse mode: brings rows up to the last step with the closed form (sparse_adam.h). Their
  // factors are computed all at once, in whole vectors, then applied row by row.
  void sparse_catch_up(const std::int32_t* rows, size_t count) {
    begin_catch_up(count);
    for (size_t r = 0; r < count; ++r) note_for_catch_up(rows[r], rows_[static_cast<size_t>(rows[r])].clock);
    finish_catch_up();
  }
  // The same in three parts, so that a step can note its rows while it collects them.
  void begin_catch_up(size_t most_rows) {
    const size_t capacity = (most_rows + kLanes - 1) / kLanes * kLanes;
    if (catch_up_rows_.size() < capacity) {
      catch_up_rows_.resize(capacity);
      for (auto* f : {&missed_count_, &missed_log_decay_, &missed_log_mom_, &keep_, &m_scale_, &rms_scale_, &inv_b_,
                      &eps_a_})
        f->resize(capacity);
    }
    behind_ = 0;
  }
  void note_for_catch_up(std::int32_t row, std::int64_t clock) {
    const auto now = static_cast<size_t>(step_), from = static_cast<size_t>(clock);
    if (from == now) return;
    catch_up_rows_[behind_] = row;
    missed_count_[behind_] = static_cast<float>(now - from);
    missed_log_decay_[behind_] = static_cast<float>(log_decay_[now] - log_decay_[from]);
    missed_log_mom_[behind_] = static_cast<float>(log_mom_[now] - log_mom_[from]);
    ++behind_;
  }
  void finish_catch_up() {
    const size_t behind = behind_;
    const size_t padded = (behind + kLanes - 1) / kLanes * kLanes;
    for (size_t r = behind; r < padded; ++r)  // whole vectors: the padding computes harmless factors
      missed_count_[r] = 1.0f, missed_log_decay_[r] = 0.0f, missed_log_mom_[r] = 0.0f;
    catch_up_factors(padded, {missed_count_.data(), missed_log_decay_.data(), missed_log_mom_.data()},
                     last_constants_, {keep_.data(), m_scale_.data(), rms_scale_.data(), inv_b_.data(), eps_a_.data()});
    apply_catch_up(row_table(), catch_up_rows_.data(), behind,
                   {keep_.data(), m_scale_.data(), rms_scale_.data(), inv_b_.data(), eps_a_.data()});
    for (size_t r = 0; r < behind; ++r) rows_[static_cast<size_t>(catch_up_rows_[r])].clock = step_;
  }

  // Adam on the rows with a gradient (lazy and sparse modes).
  void update_touched_rows(const AdamStep& c) {
    if (mode_ == Mode::sparse) sparse_adam_update(row_table(), touched_.data(), touched_.size(), gradients_.get(), c);
    for (size_t slot = 0; slot < touched_.size(); ++slot) {
      const auto row = static_cast<size_t>(touched_[slot]);
      if (mode_ != Mode::sparse) adam_update(param(row), moment(row), rms(row), gradient(slot), stride_, c);
      rows_[row].clock = step_;
    }
  }

  // Exact mode: the batch's rows replay the steps they missed, shared over the threads (each row
  // on its own, so the bits do not depend on the sharing).
  void catch_up_batch_rows(int threads) {
    pool_->run(threads, [&](int part, int parts) {
      for (size_t r = static_cast<size_t>(part); r < touched_.size(); r += static_cast<size_t>(parts))
        catch_up(static_cast<size_t>(touched_[r]), step_);
    });
  }

  // Every row up to the last step, before the weights are read.
  void catch_up_all_rows() {
    if (all_rows_.size() != users_ + items_) {
      all_rows_.resize(users_ + items_);
      std::iota(all_rows_.begin(), all_rows_.end(), 0);
    }
    catch_up_rows(all_rows_);
  }

  // The given rows up to the last step. Validation catches up only the rows it reads (a third of
  // the items are in no validation rating): the rest wait for their next use, like any row.
  void catch_up_rows(const std::vector<std::int32_t>& rows) {
    if (mode_ == Mode::dense || step_ == 0) return;
    if (mode_ == Mode::sparse) {
      sparse_catch_up(rows.data(), rows.size());
      return;
    }
    pool_->run(threads_, [&](int part, int parts) {
      for (size_t r = static_cast<size_t>(part); r < rows.size(); r += static_cast<size_t>(parts))
        catch_up(static_cast<size_t>(rows[r]), step_);
    });
  }

  // Dense exact mode (tests): every row, every step; the full kernel on rows with a gradient.
  void dense_step(const AdamStep& c, int threads) {
    pool_->run(threads, [&](int part, int parts) { update_rows(c, part, parts); });
  }

  // Thread `part` of `parts` updates its share of the rows.
  void update_rows(const AdamStep& c, int part, int parts) const {
    const size_t rows = users_ + items_;
    const size_t first = rows * static_cast<size_t>(part) / static_cast<size_t>(parts);
    const size_t last = rows * static_cast<size_t>(part + 1) / static_cast<size_t>(parts);
    auto it = std::lower_bound(touched_.begin(), touched_.end(), static_cast<std::int32_t>(first));
    for (size_t row = first; row < last; ++row) {
      if (it != touched_.end() && static_cast<size_t>(*it) == row) {
        const auto slot = static_cast<size_t>(it - touched_.begin());
        adam_update(param(row), moment(row), rms(row), gradient(slot), stride_, c);
        ++it;
      } else {
        adam_update_no_grad(param(row), moment(row), rms(row), stride_, c);
      }
    }
  }

  // With --threads 0, every 256 steps the next 16 run on one thread and 16 on all, and the faster
  // (by median) serves until the next probe: threads that spin while another process holds a
  // core are many times slower than one. The results are the same bits either way.
  static constexpr std::int64_t kProbeEvery = 256, kProbeSteps = 16;
  int threads_for_this_step() const {
    if (!adaptive_threads_ || threads_ == 1) return threads_;
    const std::int64_t phase = probe_clock_ % kProbeEvery;
    if (phase < kProbeSteps) return 1;
    if (phase < 2 * kProbeSteps) return threads_;
    return chosen_threads_;
  }
  void record_step_time(int threads, std::chrono::steady_clock::duration took) {
    const std::int64_t phase = probe_clock_++ % kProbeEvery;
    if (phase >= 2 * kProbeSteps) return;
    (threads == 1 ? probe_single_ : probe_multi_)[static_cast<size_t>(phase % kProbeSteps)] = took;
    if (phase == 2 * kProbeSteps - 1) {
      auto median = [](auto times) {
        std::nth_element(times.begin(), times.begin() + kProbeSteps / 2, times.end());
        return times[kProbeSteps / 2];
      };
      chosen_threads_ = median(probe_multi_) < median(probe_single_) ? threads_ : 1;
    }
  }

  ModelShape shape_;
  TrainOptions options_;
  size_t k_, width_;
  size_t stride_;  // width_ rounded up to whole AVX vectors
  size_t users_ = 0, items_ = 0;
  Mode mode_ = Mode::lazy;
  int threads_ = 1;  // the most threads a step may use
  bool adaptive_threads_ = false;
  int chosen_threads_ = 1;
  std::int64_t probe_clock_ = 0;  // timed steps so far
  std::array<std::chrono::steady_clock::duration, kProbeSteps> probe_single_{}, probe_multi_{};
  std::unique_ptr<StepPool> pool_;
  FloatBuffer state_;  // per row: parameters, m, sqrt(v)
  std::vector<RowState> rows_;
  std::vector<Example> examples_;  // the training ratings, in their order
  std::vector<Example> valid_;     // the validation ratings
  std::vector<std::int32_t> valid_rows_, all_rows_;  // the rows validation reads; every row
  std::vector<Example> batch_;     // those of the next few batches, in step order
  // Epochs' ratings in their order, laid out by prepare_order on fit's shuffling thread: one
  // for the epoch training, one for the next. `order` is null while one is being written.
  struct PreparedEpoch {
    std::atomic<const std::int32_t*> order{nullptr};
    size_t n = 0;
    std::vector<Example> examples;
  };
  std::array<PreparedEpoch, 2> prepared_;
  size_t next_prepared_ = 0;
  FloatBuffer gradients_;          // per slot of a batch
  size_t gradient_slots_ = 0;
  std::vector<std::int32_t> slots_;     // per rating of the batch: its user's and item's slots
  std::vector<float> dz_;               // per rating of the batch: d loss / d score
  std::int64_t step_ = 0;
  std::vector<std::int32_t> touched_;  // this batch's rows
  std::uint32_t batch_stamp_ = 0;
  std::vector<AdamStep> step_constants_;  // lazy mode: step s at s - 1
  std::vector<double> log_mom_, log_decay_;    // running sums of log(beta1), log(1 - lr*wd)
  // Sparse mode's catch-up: the rows behind, what they missed, and their factors.
  std::vector<std::int32_t> catch_up_rows_;
  std::vector<float> missed_count_, missed_log_decay_, missed_log_mom_;
  std::vector<float> keep_, m_scale_, rms_scale_, inv_b_, eps_a_;
  size_t behind_ = 0;
  AdamStep last_constants_{};
};

}  // namespace

int default_thread_count() {
  cpu_set_t set;
  CPU_ZERO(&set);
  int cores = sched_getaffinity(0, sizeof set, &set) == 0 ? CPU_COUNT(&set) : 1;
  return std::max(1, std::min(cores, 2));
}

std::unique_ptr<TrainingEngine> make_cpu_engine(const EngineSetup& setup) {
  return std::make_unique<CpuEmbeddingEngine>(setup);
}

}  // namespace collab
