// The hand-written CPU trainer for the embedding models (dot, dot-range, dot-bias).
//
// Why by hand: a generic autograd step for this model allocates a dozen tensors and walks every
// parameter several times. Here a batch is a forward and backward pass over its 64 rows, then
// fastai's Adam. That update touches every parameter every step (a row without a gradient still
// decays and drifts along its momentum), and it is what bounds the speed.
//
// Each user and item is one row: its parameters (factors, then the bias for dot-bias), Adam's m
// and sqrt(v), and the gradient, one after another in memory. A step reads a few scattered rows;
// keeping all that a row needs together makes each one a single short stream from memory.
#include <immintrin.h>
#include <sched.h>

#include <algorithm>
#include <array>
#include <chrono>
#include <cmath>
#include <cstring>
#include <memory>

#include "collab/engine.h"
#include "collab/error.h"
#include "collab/step_pool.h"

namespace collab {
namespace {

// 64-byte aligned float storage.
struct FloatBuffer {
  std::unique_ptr<float, void (*)(void*)> data{nullptr, std::free};
  void assign_zero(size_t n) {
    const size_t bytes = ((n * sizeof(float) + 63) / 64) * 64;
    data.reset(static_cast<float*>(std::aligned_alloc(64, bytes ? bytes : 64)));
    if (!data) throw internal_error("out of memory for the model's parameters");
    std::memset(data.get(), 0, bytes);
  }
  float* get() const { return data.get(); }
};

// Rarely touched rows decay towards zero into denormal floats, which are many times slower to
// compute with; flushing them to zero changes no result that matters. Per thread.
void flush_denormals_on_this_thread() { _mm_setcsr(_mm_getcsr() | 0x8040); }

// One step's optimizer constants, as floats, exactly as the kernels use them.
struct AdamConstants {
  float decay;             // 1 - lr * wd, fastai's decoupled weight decay
  float mom, one_minus_mom;
  float beta2, one_minus_beta2;
  float sqrt_beta2;
  float step_size;         // lr / (1 - beta1^t)
  float inv_sqrt_debias2;  // 1 / sqrt(1 - beta2^t)
  float eps;
};

// fastai's Adam on n contiguous parameters whose gradient is in g; leaves g zeroed for the next
// batch. The optimizer keeps rms = sqrt(v) rather than Adam's v: the same numbers up to float
// rounding, and it lets parameters without a gradient (nearly all, every step) update their rms
// with a multiplication instead of a square root. Compiled for AVX2 and for plain x86-64, picked
// at run time; no FMA, so both give the same bits; -fno-math-errno lets the sqrt vectorise.
__attribute__((target_clones("avx2", "default")))
void adam_update(float* __restrict p, float* __restrict m, float* __restrict rms,
                 float* __restrict g, size_t n, AdamConstants c) {
#pragma omp simd
  for (size_t j = 0; j < n; ++j) {
    const float grad = g[j];
    const float mj = c.mom * m[j] + c.one_minus_mom * grad;
    const float rj = std::sqrt(c.beta2 * rms[j] * rms[j] + c.one_minus_beta2 * grad * grad);
    m[j] = mj;
    rms[j] = rj;
    p[j] = p[j] * c.decay - c.step_size * mj / (rj * c.inv_sqrt_debias2 + c.eps);
  }
  std::memset(g, 0, n * sizeof(float));
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
                         AdamConstants c) {
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
                         const AdamConstants* steps, size_t count) {
  constexpr size_t kLanes = 8;
  for (size_t j0 = 0; j0 < n; j0 += kLanes) {
    const size_t lanes = std::min(kLanes, n - j0);
    float pp[kLanes] = {}, mm[kLanes] = {}, rr[kLanes] = {};  // unused lanes stay 0: 0 / eps
    for (size_t l = 0; l < lanes; ++l) pp[l] = p[j0 + l], mm[l] = m[j0 + l], rr[l] = rms[j0 + l];
    for (size_t s = 0; s < count; ++s) {
      const AdamConstants& c = steps[s];
#pragma omp simd
      for (size_t l = 0; l < kLanes; ++l) COLLAB_NO_GRAD_STEP(c, pp[l], mm[l], rr[l]);
    }
    for (size_t l = 0; l < lanes; ++l) p[j0 + l] = pp[l], m[j0 + l] = mm[l], rms[j0 + l] = rr[l];
  }
}

// The dot product of two factor rows, with eight partial sums so that it vectorises.
__attribute__((target_clones("avx2", "default")))
float dot_product(const float* __restrict a, const float* __restrict b, size_t n) {
  float partial[8] = {};
  size_t j = 0;
  for (; j + 8 <= n; j += 8)
#pragma omp simd
    for (size_t l = 0; l < 8; ++l) partial[l] += a[j + l] * b[j + l];
  float s = 0;
  for (; j < n; ++j) s += a[j] * b[j];
  for (float x : partial) s += x;
  return s;
}

// g += scale * x over n floats: a factor row's share of the gradient.
__attribute__((target_clones("avx2", "default")))
void add_scaled(float* __restrict g, const float* __restrict x, float scale, size_t n) {
#pragma omp simd
  for (size_t j = 0; j < n; ++j) g[j] += scale * x[j];
}

// Sparse mode's catch-up of one row, with its closed-form factors (see sparse_catch_up).
__attribute__((target_clones("avx2", "default")))
void apply_catch_up(float* __restrict p, float* __restrict m, float* __restrict rms, size_t n, float keep,
                    float inv_b, float eps_a, float m_scale, float rms_scale) {
#pragma omp simd
  for (size_t j = 0; j < n; ++j) {
    p[j] = p[j] * keep - m[j] / (rms[j] * inv_b + eps_a);
    m[j] *= m_scale;
    rms[j] *= rms_scale;
  }
}

class CpuEmbeddingEngine final : public TrainingEngine {
  // How the parameters a step does not touch are updated.
  enum class Mode {
    dense,   // every row, every step (options.lazy_exact = false)
    lazy,    // exact mode: replayed bit for bit when the row is next read
    sparse,  // --optimizer sparse-adam: caught up in closed form when the row is next read
  };
  // Per row: the step it was last brought up to.
  using Clock = std::int64_t;

 public:
  explicit CpuEmbeddingEngine(const EngineSetup& s)
      : shape_(s.shape), data_(*s.data), options_(s.options), k_(static_cast<size_t>(s.shape.factors)),
        width_(k_ + (s.shape.has_bias() ? 1 : 0)) {
    if (shape_.arch == Arch::nn) throw internal_error("the CPU engine trains embedding models only");
    mode_ = options_.optimizer == OptimizerKind::sparse_adam ? Mode::sparse
            : options_.lazy_exact                            ? Mode::lazy
                                                             : Mode::dense;
    // Sparse mode's steps are too small to share out.
    adaptive_threads_ = options_.threads == 0 && mode_ != Mode::sparse;
    threads_ = mode_ == Mode::sparse ? 1 : adaptive_threads_ ? default_thread_count() : options_.threads;
    users_ = static_cast<size_t>(shape_.n_users);
    items_ = static_cast<size_t>(shape_.n_items);
    state_.assign_zero((users_ + items_) * 4 * width_);
    load(s.initial);
    clock_.assign(users_ + items_, 0);
    stamp_.assign(users_ + items_, 0);
    log_mom_.push_back(0.0);
    log_decay_.push_back(0.0);
    flush_denormals_on_this_thread();
    pool_ = std::make_unique<StepPool>(threads_, flush_denormals_on_this_thread);
  }

  std::vector<float> train_batches(const std::int32_t* order, size_t n_batches, size_t bs,
                                   const StepHyper* hyper, const std::atomic<bool>* stop) override {
    std::vector<float> losses;
    losses.reserve(n_batches);
    for (size_t b = 0; b < n_batches; ++b) {
      if (stop && stop->load(std::memory_order_relaxed)) break;
      const std::int32_t* rows = order + b * bs;
      const int threads = threads_for_this_step();
      const auto started = std::chrono::steady_clock::now();
      collect_touched_rows(rows, bs);
      if (mode_ == Mode::lazy) catch_up_batch_rows(threads);
      else if (mode_ == Mode::sparse)
        for (size_t r = 0; r < touched_.size(); ++r) {
          if (r + 2 < touched_.size()) prefetch_row(static_cast<size_t>(touched_[r + 2]));
          catch_up(static_cast<size_t>(touched_[r]), step_);
        }
      losses.push_back(forward_backward(rows, bs));
      ++step_;
      const AdamConstants c = constants(hyper[b]);
      if (mode_ == Mode::dense) {
        dense_step(c, threads);
      } else {
        record_step(c);
        for (std::int32_t row : touched_) {
          const auto at = static_cast<size_t>(row);
          adam_update(param(at), moment(at), rms(at), gradient(at), width_, c);
          clock_[static_cast<size_t>(row)] = step_;
        }
      }
      if (adaptive_threads_) record_step_time(threads, std::chrono::steady_clock::now() - started);
    }
    return losses;
  }

  double validation_mse() override {
    catch_up_all_rows();
    const RatingSet& v = data_.valid;
    double sum = 0;
    for (size_t r = 0; r < v.size(); ++r) {
      const double diff = predict(v.user[r], v.item[r]) - v.rating[r];
      sum += diff * diff;
    }
    return v.size() ? sum / static_cast<double>(v.size()) : std::nan("");
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
    table("user_factors", 0, users_, 0, k_);
    table("item_factors", users_, items_, 0, k_);
    if (shape_.has_bias()) {
      table("user_bias", 0, users_, k_, 1);
      table("item_bias", users_, items_, k_, 1);
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
  // A row's four spans of `width_` floats.
  float* param(size_t row) const { return state_.get() + row * 4 * width_; }
  float* moment(size_t row) const { return param(row) + width_; }
  float* rms(size_t row) const { return param(row) + 2 * width_; }
  float* gradient(size_t row) const { return param(row) + 3 * width_; }
  float* row_of_user(std::int32_t u) const { return param(static_cast<size_t>(u)); }
  float* row_of_item(std::int32_t i) const { return param(users_ + static_cast<size_t>(i)); }

  void load(const Weights& w) {
    auto copy = [&](const char* name, size_t first_row, size_t rows, size_t from, size_t count) {
      const NamedTensor& t = w.get(name);
      if (t.values.size() != rows * count) throw internal_error(std::string("wrong size for ") + name);
      for (size_t r = 0; r < rows; ++r)
        std::memcpy(param(first_row + r) + from, t.values.data() + r * count, count * sizeof(float));
    };
    copy("user_factors", 0, users_, 0, k_);
    copy("item_factors", users_, items_, 0, k_);
    if (shape_.has_bias()) {
      copy("user_bias", 0, users_, k_, 1);
      copy("item_bias", users_, items_, k_, 1);
    }
  }

  float score(const float* pu, const float* pi) const {
    return dot_product(pu, pi, k_) + (shape_.has_bias() ? pu[k_] + pi[k_] : 0.0f);
  }
  float output(float z) const {
    if (!shape_.has_range()) return z;
    return shape_.y_low + (shape_.y_high - shape_.y_low) / (1.0f + std::exp(-z));
  }
  float predict(std::int32_t u, std::int32_t i) const { return output(score(row_of_user(u), row_of_item(i))); }

  // The batch's distinct rows (users, then items after them); sorted in dense mode, which walks
  // the spans between them.
  void collect_touched_rows(const std::int32_t* rows, size_t bs) {
    touched_.clear();
    ++batch_stamp_;
    const RatingSet& t = data_.train;
    auto add = [&](std::int32_t row) {
      if (stamp_[static_cast<size_t>(row)] == batch_stamp_) return;
      stamp_[static_cast<size_t>(row)] = batch_stamp_;
      touched_.push_back(row);
    };
    for (size_t b = 0; b < bs; ++b) {
      const auto r = static_cast<size_t>(rows[b]);
      add(t.user[r]);
      add(static_cast<std::int32_t>(users_) + t.item[r]);
    }
    if (mode_ == Mode::dense) std::sort(touched_.begin(), touched_.end());
  }

  // MSE loss of one batch; accumulates its gradient (d loss / d param) into the rows' gradients.
  float forward_backward(const std::int32_t* rows, size_t bs) {
    const RatingSet& t = data_.train;
    const float span = shape_.y_high - shape_.y_low;
    double loss = 0;
    for (size_t b = 0; b < bs; ++b) {
      const auto r = static_cast<size_t>(rows[b]);
      const float* pu = row_of_user(t.user[r]);
      const float* pi = row_of_item(t.item[r]);
      const float z = score(pu, pi);
      float pred = z, dpred_dz = 1.0f;
      if (shape_.has_range()) {
        const float s = 1.0f / (1.0f + std::exp(-z));
        pred = shape_.y_low + span * s;
        dpred_dz = span * s * (1.0f - s);
      }
      const float diff = pred - t.rating[r];
      loss += static_cast<double>(diff) * diff;
      const float dz = 2.0f * diff / static_cast<float>(bs) * dpred_dz;
      float* gu = const_cast<float*>(pu) + 3 * width_;  // the row's gradient span
      float* gi = const_cast<float*>(pi) + 3 * width_;
      add_scaled(gu, pi, dz, k_);
      add_scaled(gi, pu, dz, k_);
      if (shape_.has_bias()) {
        gu[k_] += dz;
        gi[k_] += dz;
      }
    }
    return static_cast<float>(loss / static_cast<double>(bs));
  }

  AdamConstants constants(const StepHyper& h) const {
    const double t = static_cast<double>(step_);
    AdamConstants c;
    c.decay = static_cast<float>(1.0 - static_cast<double>(h.lr) * options_.wd);
    c.mom = h.mom;
    c.one_minus_mom = 1.0f - h.mom;
    c.beta2 = static_cast<float>(options_.beta2);
    c.one_minus_beta2 = static_cast<float>(1.0 - options_.beta2);
    c.sqrt_beta2 = static_cast<float>(std::sqrt(options_.beta2));
    c.step_size = static_cast<float>(h.lr / (1.0 - std::pow(static_cast<double>(h.mom), t)));
    c.inv_sqrt_debias2 = static_cast<float>(1.0 / std::sqrt(1.0 - std::pow(options_.beta2, t)));
    c.eps = static_cast<float>(options_.eps);
    return c;
  }

  // What the deferred updates need of this step: its constants (exact mode), or the running
  // sums its closed form reads (sparse mode).
  void record_step(const AdamConstants& c) {
    if (mode_ == Mode::lazy) {
      step_constants_.push_back(c);
      return;
    }
    log_mom_.push_back(log_mom_.back() + std::log(static_cast<double>(c.mom)));
    log_decay_.push_back(log_decay_.back() + std::log(static_cast<double>(c.decay)));
    last_constants_ = c;
  }

  // Sparse mode reads a few rows scattered over memory per step, and its per-row arithmetic keeps
  // the processor from running ahead to the next row's loads: ask for them early.
  void prefetch_row(size_t row) const {
    const char* at = reinterpret_cast<const char*>(param(row));
    for (size_t byte = 0; byte < 4 * width_ * sizeof(float); byte += 64) __builtin_prefetch(at + byte, 1);
  }

  // Brings a row from its clock to the end of step `now`; all steps since had no gradient for it.
  void catch_up(size_t row, std::int64_t now) {
    const std::int64_t from = clock_[row];
    if (now <= from) return;
    if (mode_ == Mode::lazy) {
      adam_replay_no_grad(param(row), moment(row), rms(row), width_, step_constants_.data() + from,
                          static_cast<size_t>(now - from));
    } else {
      sparse_catch_up(param(row), moment(row), rms(row), from, now);
    }
    clock_[row] = now;
  }

  // Sparse mode: what the missed steps would have done, in closed form. The weight decay and
  // the shrinking of m by beta1 are exact (running sums of their logs); the drift along the old
  // momentum, which carries each gradient about ten steps further, is a geometric series with the
  // latest step's lr and beta1, and eps is folded in through a weighted harmonic mean: each
  // missed step k moves a parameter by A_k m / (rms B_k + eps) with A_k = step_size beta1^k
  // delta^(n-k) and B_k = beta2^(k/2) / sqrt(1 - beta2^t); summed, sum(A) m / (rms B + eps)
  // with B the A-weighted harmonic mean of B_k, exact when eps or rms is negligible. Leaving
  // the drift out, as torch.optim.SparseAdam does, ends 0.03-0.04 higher in validation loss.
  void sparse_catch_up(float* p, float* m, float* rms, std::int64_t from, std::int64_t now) {
    const auto n = static_cast<size_t>(now - from);
    const double keep = std::exp(log_decay_[static_cast<size_t>(now)] - log_decay_[static_cast<size_t>(from)]);
    const double mom_product = std::exp(log_mom_[static_cast<size_t>(now)] - log_mom_[static_cast<size_t>(from)]);
    while (sqrt_beta2_power_.size() <= n)
      sqrt_beta2_power_.push_back(sqrt_beta2_power_.empty() ? 1.0 : sqrt_beta2_power_.back() * std::sqrt(options_.beta2));
    const double rms_scale = sqrt_beta2_power_[n];
    const AdamConstants& c = last_constants_;
    // sum over k = 1..n of r^k delta^(n-k) = q (delta^n - r^n) / (1 - q), q = r / delta, with the
    // exact products standing in for delta^n and r^n.
    auto series = [&](double r, double r_pow_n) {
      const double q = r / c.decay;
      return std::fabs(1 - q) < 1e-9 ? static_cast<double>(n) * keep : q * (keep - r_pow_n) / (1 - q);
    };
    const double sum_a = c.step_size * series(c.mom, mom_product) + 1e-300;
    const double sum_a_over_b = c.step_size / c.inv_sqrt_debias2 *
                                    series(c.mom / c.sqrt_beta2, mom_product / rms_scale) + 1e-300;
    const auto keep_f = static_cast<float>(keep), m_scale = static_cast<float>(mom_product);
    const auto rms_scale_f = static_cast<float>(rms_scale);
    const auto inv_b = static_cast<float>(1.0 / sum_a_over_b), eps_a = static_cast<float>(c.eps / sum_a);
    apply_catch_up(p, m, rms, width_, keep_f, inv_b, eps_a, m_scale, rms_scale_f);
  }

  // Exact mode: the batch's rows replay the steps they missed, shared over the threads (each row
  // on its own, so the bits do not depend on the sharing).
  void catch_up_batch_rows(int threads) {
    pool_->run(threads, [&](int part, int parts) {
      for (size_t r = static_cast<size_t>(part); r < touched_.size(); r += static_cast<size_t>(parts))
        catch_up(static_cast<size_t>(touched_[r]), step_);
    });
  }

  // Every row up to the last step: before validation and before the weights are read.
  void catch_up_all_rows() {
    if (mode_ == Mode::dense || step_ == 0) return;
    const size_t rows = users_ + items_;
    pool_->run(mode_ == Mode::lazy ? threads_ : 1, [&](int part, int parts) {
      for (size_t r = static_cast<size_t>(part); r < rows; r += static_cast<size_t>(parts)) catch_up(r, step_);
    });
  }

  // Dense exact mode (tests): every row, every step; the full kernel on rows with a gradient.
  void dense_step(const AdamConstants& c, int threads) {
    pool_->run(threads, [&](int part, int parts) { update_rows(c, part, parts); });
  }

  // Thread `part` of `parts` updates its share of the rows.
  void update_rows(const AdamConstants& c, int part, int parts) const {
    const size_t rows = users_ + items_;
    const size_t first = rows * static_cast<size_t>(part) / static_cast<size_t>(parts);
    const size_t last = rows * static_cast<size_t>(part + 1) / static_cast<size_t>(parts);
    auto it = std::lower_bound(touched_.begin(), touched_.end(), static_cast<std::int32_t>(first));
    for (size_t row = first; row < last; ++row) {
      if (it != touched_.end() && static_cast<size_t>(*it) == row) {
        adam_update(param(row), moment(row), rms(row), gradient(row), width_, c);
        ++it;
      } else {
        adam_update_no_grad(param(row), moment(row), rms(row), width_, c);
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
  const TrainValidSplit& data_;
  TrainOptions options_;
  size_t k_, width_;
  size_t users_ = 0, items_ = 0;
  Mode mode_ = Mode::lazy;
  int threads_ = 1;  // the most threads a step may use
  bool adaptive_threads_ = false;
  int chosen_threads_ = 1;
  std::int64_t probe_clock_ = 0;  // timed steps so far
  std::array<std::chrono::steady_clock::duration, kProbeSteps> probe_single_{}, probe_multi_{};
  std::unique_ptr<StepPool> pool_;
  FloatBuffer state_;  // per row: parameters, m, sqrt(v), gradient
  std::int64_t step_ = 0;
  std::vector<std::int32_t> touched_;  // this batch's rows
  std::vector<std::int64_t> stamp_;    // per row: the last batch that listed it
  std::int64_t batch_stamp_ = 0;
  std::vector<Clock> clock_;           // per row (lazy and sparse modes)
  std::vector<AdamConstants> step_constants_;  // lazy mode: step s at s - 1
  std::vector<double> log_mom_, log_decay_;    // running sums of log(beta1), log(1 - lr*wd)
  std::vector<double> sqrt_beta2_power_;
  AdamConstants last_constants_{};
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
