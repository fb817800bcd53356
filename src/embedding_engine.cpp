// The hand-written CPU trainer for the embedding models (dot, dot-range, dot-bias).
//
// Why by hand: a generic autograd step for this model allocates a dozen tensors and walks every
// parameter several times; here one batch is a forward and backward over 64 rows and then a single
// fused pass of fastai's Adam over all parameters, which is what bounds the speed (it is a
// streaming pass over ~2 MB of weights and ~6 MB of optimizer state, 1,260 times an epoch).
#include <immintrin.h>
#include <omp.h>
#include <sched.h>

#include <algorithm>
#include <array>
#include <chrono>
#include <cmath>
#include <cstring>
#include <memory>

#include "collab/engine.h"
#include "collab/error.h"

namespace collab {
namespace {

// 64-byte aligned float storage, so every thread's slice starts on a cache line.
struct FloatBuffer {
  std::unique_ptr<float, void (*)(void*)> data{nullptr, std::free};
  size_t size = 0;
  void assign_zero(size_t n) {
    size_t bytes = ((n * sizeof(float) + 63) / 64) * 64;
    data.reset(static_cast<float*>(std::aligned_alloc(64, bytes ? bytes : 64)));
    if (!data) throw internal_error("out of memory for the model's parameters");
    std::memset(data.get(), 0, bytes);
    size = n;
  }
  float* get() const { return data.get(); }
};

// Rarely touched rows decay towards zero into denormal floats, which are many times slower to
// compute with; flushing them to zero changes no result that matters. Per thread.
void flush_denormals_on_this_thread() { _mm_setcsr(_mm_getcsr() | 0x8040); }

struct AdamConstants {
  float decay;             // 1 - lr * wd, fastai's decoupled weight decay
  float mom, one_minus_mom;
  float beta2, one_minus_beta2;
  float sqrt_beta2;
  float step_size;         // lr / (1 - mom^t)
  float inv_sqrt_debias2;  // 1 / sqrt(1 - beta2^t)
  float eps;
};

// fastai's Adam on n contiguous parameters whose gradient is in g; leaves g zeroed for the next
// batch. The optimizer keeps rms = sqrt(v) rather than Adam's v: the same numbers up to float
// rounding, and it lets the rows without a gradient (nearly all of them, every step) update
// their rms with a multiplication instead of a square root, the costliest instruction here.
// Compiled for AVX2 and for plain x86-64, picked at run time; no FMA, so both give the same bits,
// and -fno-math-errno lets the sqrt vectorise.
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

// The same update for parameters whose gradient is zero: m = beta1 m, v = beta2 v, so
// rms = sqrt(beta2) rms, without reading or clearing a gradient.
__attribute__((target_clones("avx2", "default")))
void adam_update_no_grad(float* __restrict p, float* __restrict m, float* __restrict rms, size_t n,
                         AdamConstants c) {
#pragma omp simd
  for (size_t j = 0; j < n; ++j) {
    const float mj = c.mom * m[j];
    const float rj = c.sqrt_beta2 * rms[j];
    m[j] = mj;
    rms[j] = rj;
    p[j] = p[j] * c.decay - c.step_size * mj / (rj * c.inv_sqrt_debias2 + c.eps);
  }
}

class CpuEmbeddingEngine final : public TrainingEngine {
  // Sparse mode: per row, the step it was last brought up to, and the running log of the weight
  // decay products at that step.
  struct RowClock {
    std::int64_t step = 0;
    double log_decay = 0;
  };

 public:
  explicit CpuEmbeddingEngine(const EngineSetup& s)
      : shape_(s.shape), data_(*s.data), options_(s.options), k_(static_cast<size_t>(s.shape.factors)) {
    if (shape_.arch == Arch::nn) throw internal_error("the CPU engine trains embedding models only");
    adaptive_threads_ = options_.threads == 0;
    threads_ = adaptive_threads_ ? default_thread_count() : options_.threads;
    const auto nu = static_cast<size_t>(shape_.n_users), ni = static_cast<size_t>(shape_.n_items);
    user_factors_ = 0;
    item_factors_ = nu * k_;
    user_bias_ = item_factors_ + ni * k_;
    item_bias_ = user_bias_ + (shape_.has_bias() ? nu : 0);
    total_ = item_bias_ + (shape_.has_bias() ? ni : 0);
    for (FloatBuffer* b : {&params_, &exp_avg_, &exp_avg_rms_, &grad_}) b->assign_zero(total_);
    load(s.initial);
    if (options_.optimizer == OptimizerKind::sparse_adam) {
      user_clock_.assign(nu, {});
      item_clock_.assign(ni, {});
    }
    flush_denormals_on_this_thread();
#pragma omp parallel num_threads(threads_)
    flush_denormals_on_this_thread();
  }

  std::vector<float> train_batches(const std::int32_t* order, size_t n_batches, size_t bs,
                                   const StepHyper* hyper, const std::atomic<bool>* stop) override {
    std::vector<float> losses;
    losses.reserve(n_batches);
    for (size_t b = 0; b < n_batches; ++b) {
      if (stop && stop->load(std::memory_order_relaxed)) break;
      const std::int32_t* rows = order + b * bs;
      batch_rows_ = rows;
      batch_size_ = bs;
      if (options_.optimizer == OptimizerKind::sparse_adam) catch_up_batch_rows(rows, bs);
      losses.push_back(forward_backward(rows, bs));
      ++step_;
      if (options_.optimizer == OptimizerKind::adam) dense_step(hyper[b]);
      else sparse_step(rows, bs, hyper[b]);
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
    const_cast<CpuEmbeddingEngine*>(this)->catch_up_all_rows();  // no-op when already caught up
    Weights w;
    const float* p = params_.get();
    auto table = [&](const char* name, size_t offset, std::vector<std::int64_t> shape) {
      size_t n = 1;
      for (auto d : shape) n *= static_cast<size_t>(d);
      w.tensors.push_back({name, shape, std::vector<float>(p + offset, p + offset + n)});
    };
    table("user_factors", user_factors_, {shape_.n_users, shape_.factors});
    table("item_factors", item_factors_, {shape_.n_items, shape_.factors});
    if (shape_.has_bias()) {
      table("user_bias", user_bias_, {shape_.n_users});
      table("item_bias", item_bias_, {shape_.n_items});
    }
    return w;
  }

  std::string device_name() const override {
    if (options_.optimizer == OptimizerKind::sparse_adam) return "cpu (sparse updates, 1 thread)";
    if (adaptive_threads_ && threads_ > 1) return "cpu (1 to " + std::to_string(threads_) + " threads, by load)";
    return "cpu (" + std::to_string(threads_) + (threads_ == 1 ? " thread)" : " threads)");
  }

 private:
  void load(const Weights& w) {
    auto copy = [&](const char* name, size_t offset, size_t n) {
      const NamedTensor& t = w.get(name);
      if (t.values.size() != n) throw internal_error(std::string("wrong size for ") + name);
      std::memcpy(params_.get() + offset, t.values.data(), n * sizeof(float));
    };
    const auto nu = static_cast<size_t>(shape_.n_users), ni = static_cast<size_t>(shape_.n_items);
    copy("user_factors", user_factors_, nu * k_);
    copy("item_factors", item_factors_, ni * k_);
    if (shape_.has_bias()) {
      copy("user_bias", user_bias_, nu);
      copy("item_bias", item_bias_, ni);
    }
  }

  float predict(std::int32_t u, std::int32_t i) const {
    const float* p = params_.get();
    return output(dot(p + user_factors_ + static_cast<size_t>(u) * k_,
                      p + item_factors_ + static_cast<size_t>(i) * k_) +
                  bias_sum(u, i));
  }

  float dot(const float* a, const float* b) const {
    float s = 0;
    for (size_t j = 0; j < k_; ++j) s += a[j] * b[j];
    return s;
  }
  float bias_sum(std::int32_t u, std::int32_t i) const {
    if (!shape_.has_bias()) return 0.0f;
    return params_.get()[user_bias_ + static_cast<size_t>(u)] +
           params_.get()[item_bias_ + static_cast<size_t>(i)];
  }
  float output(float z) const {
    if (!shape_.has_range()) return z;
    return shape_.y_low + (shape_.y_high - shape_.y_low) / (1.0f + std::exp(-z));
  }

  // MSE loss of one batch; accumulates its gradient (d loss / d param) into grad_.
  float forward_backward(const std::int32_t* rows, size_t bs) {
    const RatingSet& t = data_.train;
    float* p = params_.get();
    float* g = grad_.get();
    const float span = shape_.y_high - shape_.y_low;
    double loss = 0;
    for (size_t b = 0; b < bs; ++b) {
      const auto r = static_cast<size_t>(rows[b]);
      const auto u = static_cast<size_t>(t.user[r]), i = static_cast<size_t>(t.item[r]);
      const float* pu = p + user_factors_ + u * k_;
      const float* pi = p + item_factors_ + i * k_;
      const float z = dot(pu, pi) + bias_sum(t.user[r], t.item[r]);
      float pred = z, dpred_dz = 1.0f;
      if (shape_.has_range()) {
        const float s = 1.0f / (1.0f + std::exp(-z));
        pred = shape_.y_low + span * s;
        dpred_dz = span * s * (1.0f - s);
      }
      const float diff = pred - t.rating[r];
      loss += static_cast<double>(diff) * diff;
      const float dz = 2.0f * diff / static_cast<float>(bs) * dpred_dz;
      float* gu = g + user_factors_ + u * k_;
      float* gi = g + item_factors_ + i * k_;
      for (size_t j = 0; j < k_; ++j) {
        gu[j] += dz * pi[j];
        gi[j] += dz * pu[j];
      }
      if (shape_.has_bias()) {
        g[user_bias_ + u] += dz;
        g[item_bias_ + i] += dz;
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

  // Exact mode: every parameter, every step, as fastai does. A batch touches at most 2 x 64 rows,
  // so the pass runs the gradient-free kernel over the long spans between touched rows and the
  // full kernel only on the rows with a gradient: a quarter less memory traffic than reading a
  // mostly zero dense gradient, and no clearing of it.
  void dense_step(const StepHyper& h) {
    const AdamConstants c = constants(h);
    collect_touched_rows();
    const int threads = threads_for_this_step();
    const auto started = std::chrono::steady_clock::now();
    if (threads == 1) {
      update_tables(c, 0, 1);
    } else {
#pragma omp parallel num_threads(threads)
      update_tables(c, omp_get_thread_num(), threads);
    }
    if (adaptive_threads_) record_step_time(threads, std::chrono::steady_clock::now() - started);
  }

  // With --threads 0, every 256 steps the next 16 run on one thread and 16 on all, and the faster
  // serves until the next probe. Threads spinning while another process holds a core are slower
  // than one thread; the results are the same bits either way, since each parameter's update
  // does not depend on how the rows are shared out.
  static constexpr std::int64_t kProbeEvery = 256, kProbeSteps = 16;
  int threads_for_this_step() const {
    if (!adaptive_threads_ || threads_ == 1) return threads_;
    const std::int64_t phase = (step_ - 1) % kProbeEvery;
    if (phase < kProbeSteps) return 1;
    if (phase < 2 * kProbeSteps) return threads_;
    return chosen_threads_;
  }
  void record_step_time(int threads, std::chrono::steady_clock::duration took) {
    const std::int64_t phase = (step_ - 1) % kProbeEvery;
    if (phase >= 2 * kProbeSteps) return;
    (threads == 1 ? probe_single_ : probe_multi_)[static_cast<size_t>(phase % kProbeSteps)] = took;
    if (phase == 2 * kProbeSteps - 1) {  // medians: one preempted step must not decide
      auto median = [](auto times) {
        std::nth_element(times.begin(), times.begin() + kProbeSteps / 2, times.end());
        return times[kProbeSteps / 2];
      };
      chosen_threads_ = median(probe_multi_) < median(probe_single_) ? threads_ : 1;
    }
  }

  // The batch's distinct users and items, sorted.
  void collect_touched_rows() {
    touched_users_.clear();
    touched_items_.clear();
    const RatingSet& t = data_.train;
    for (const std::int32_t* r = batch_rows_; r != batch_rows_ + batch_size_; ++r) {
      touched_users_.push_back(t.user[static_cast<size_t>(*r)]);
      touched_items_.push_back(t.item[static_cast<size_t>(*r)]);
    }
    for (auto* rows : {&touched_users_, &touched_items_}) {
      std::sort(rows->begin(), rows->end());
      rows->erase(std::unique(rows->begin(), rows->end()), rows->end());
    }
  }

  // Thread `part` of `parts` updates its share of the rows of every table.
  void update_tables(const AdamConstants& c, int part, int parts) const {
    const auto nu = static_cast<size_t>(shape_.n_users), ni = static_cast<size_t>(shape_.n_items);
    update_table(c, user_factors_, k_, nu, touched_users_, part, parts);
    update_table(c, item_factors_, k_, ni, touched_items_, part, parts);
    if (shape_.has_bias()) {
      update_table(c, user_bias_, 1, nu, touched_users_, part, parts);
      update_table(c, item_bias_, 1, ni, touched_items_, part, parts);
    }
  }

  void update_table(const AdamConstants& c, size_t offset, size_t width, size_t rows,
                    const std::vector<std::int32_t>& touched, int part, int parts) const {
    const size_t first = rows * static_cast<size_t>(part) / static_cast<size_t>(parts);
    const size_t last = rows * static_cast<size_t>(part + 1) / static_cast<size_t>(parts);
    float *p = params_.get() + offset, *m = exp_avg_.get() + offset, *v = exp_avg_rms_.get() + offset,
          *g = grad_.get() + offset;
    size_t row = first;
    auto it = std::lower_bound(touched.begin(), touched.end(), static_cast<std::int32_t>(first));
    for (; it != touched.end() && static_cast<size_t>(*it) < last; ++it) {
      const auto t = static_cast<size_t>(*it);
      if (t > row) adam_update_no_grad(p + row * width, m + row * width, v + row * width, (t - row) * width, c);
      adam_update(p + t * width, m + t * width, v + t * width, g + t * width, width, c);
      row = t + 1;
    }
    if (last > row) adam_update_no_grad(p + row * width, m + row * width, v + row * width, (last - row) * width, c);
  }

  // Sparse mode: Adam touches only the rows in the batch, and a row catches up on the steps it
  // missed when it is next touched (or when the epoch ends). Those steps had no gradient, so
  // exact mode would have decayed the row (caught up exactly from the running product of
  // 1 - lr*wd) and moved it along its old momentum, m shrinking by beta1 and v by beta2 each
  // step. That drift carries each gradient about ten steps further, so it matters: without it
  // (plain SparseAdam) the validation loss ends far from fastai's. It is replayed here per row,
  // with each missed step's own lr, beta1 and bias corrections, leaving out only eps and the
  // steps after the drift has fallen below 1/1000 of a step.
  void sparse_step(const std::int32_t* rows, size_t bs, const StepHyper& h) {
    const AdamConstants c = constants(h);
    log_decay_ += std::log(static_cast<double>(c.decay));
    history_.push_back({static_cast<double>(c.decay), static_cast<double>(h.mom), static_cast<double>(c.step_size),
                        static_cast<double>(c.step_size) / static_cast<double>(c.inv_sqrt_debias2), log_decay_});
    last_constants_ = c;
    const RatingSet& t = data_.train;
    float *p = params_.get(), *m = exp_avg_.get(), *v = exp_avg_rms_.get(), *g = grad_.get();
    auto update_row = [&](size_t factors_at, size_t bias_at, RowClock& clock) {
      clock = {step_, log_decay_};  // caught up before the forward pass; now this step's update
      adam_update(p + factors_at, m + factors_at, v + factors_at, g + factors_at, k_, c);
      if (shape_.has_bias()) adam_update(p + bias_at, m + bias_at, v + bias_at, g + bias_at, 1, c);
    };
    for (size_t b = 0; b < bs; ++b) {
      const auto r = static_cast<size_t>(rows[b]);
      const auto u = static_cast<size_t>(t.user[r]), i = static_cast<size_t>(t.item[r]);
      if (user_clock_[u].step != step_) update_row(user_factors_ + u * k_, user_bias_ + u, user_clock_[u]);
      if (item_clock_[i].step != step_) update_row(item_factors_ + i * k_, item_bias_ + i, item_clock_[i]);
    }
  }

  // Brings a row from its last update to the end of step `now` (all steps since had no gradient).
  void catch_up_row(size_t factors_at, size_t bias_at, RowClock& clock, std::int64_t now,
                    double log_decay_now, const AdamConstants& c) {
    const std::int64_t from = clock.step;
    if (now <= from) return;
    // Missed step k moves each parameter by A_k * m / (rms * B_k + eps), where A_k = step_size *
    // prod(beta1) and B_k = beta2^(k/2) / sqrt(1 - beta2^t) shrinks as v decays. Summed, that is
    // sum(A_k) * m / (rms * B + eps) with B the A-weighted harmonic mean of the B_k: exact when
    // eps or rms is negligible, and close between. Both sums run through the recurrence
    // x = x * decay_s + term_s, so that later steps' weight decay applies to earlier drift.
    const double inv_sqrt_beta2 = 1.0 / std::sqrt(options_.beta2);
    double sum_a = 0, sum_a_over_b = 0, mom_product = 1, growth = 1;
    std::int64_t s = from + 1;
    for (; s <= now; ++s) {
      const StepRecord& r = history_[static_cast<size_t>(s - 1)];
      mom_product *= r.mom;
      growth *= inv_sqrt_beta2;
      const double term = r.a * mom_product * growth;
      sum_a = sum_a * r.decay + r.step_size * mom_product;
      sum_a_over_b = sum_a_over_b * r.decay + term;
      if (term < 1e-3 * sum_a_over_b) break;  // what is left is under 1/1000 and shrinking fast
    }
    if (s < now) {
      const double rest = std::exp(log_decay_now - history_[static_cast<size_t>(s - 1)].log_decay);
      sum_a *= rest;
      sum_a_over_b *= rest;
      mom_product *= std::pow(history_[static_cast<size_t>(now - 1)].mom, static_cast<double>(now - s));
    }
    const auto keep = static_cast<float>(std::exp(log_decay_now - clock.log_decay));
    const auto inv_sum_a_over_b = static_cast<float>(1.0 / sum_a_over_b);
    const auto eps_over_sum_a = static_cast<float>(c.eps / sum_a);
    const auto m_scale = static_cast<float>(mom_product);
    const auto rms_scale = static_cast<float>(std::pow(options_.beta2, 0.5 * static_cast<double>(now - from)));
    float *p = params_.get(), *m = exp_avg_.get(), *v = exp_avg_rms_.get();
    auto row = [&](size_t at, size_t width) {
      for (size_t j = at; j < at + width; ++j) {
        p[j] = p[j] * keep - m[j] / (v[j] * inv_sum_a_over_b + eps_over_sum_a);
        m[j] *= m_scale;
        v[j] *= rms_scale;
      }
    };
    row(factors_at, k_);
    if (shape_.has_bias()) row(bias_at, 1);
    clock = {now, log_decay_now};
  }

  // The batch's rows must be up to date before the forward pass reads them.
  void catch_up_batch_rows(const std::int32_t* rows, size_t bs) {
    const RatingSet& t = data_.train;
    for (size_t b = 0; b < bs; ++b) {
      const auto r = static_cast<size_t>(rows[b]);
      const auto u = static_cast<size_t>(t.user[r]), i = static_cast<size_t>(t.item[r]);
      catch_up_row(user_factors_ + u * k_, user_bias_ + u, user_clock_[u], step_, log_decay_, last_constants_);
      catch_up_row(item_factors_ + i * k_, item_bias_ + i, item_clock_[i], step_, log_decay_, last_constants_);
    }
  }

  // Every row up to the last step: before validation and before the weights are read.
  void catch_up_all_rows() {
    if (options_.optimizer != OptimizerKind::sparse_adam || step_ == 0) return;
    for (size_t u = 0; u < user_clock_.size(); ++u)
      catch_up_row(user_factors_ + u * k_, user_bias_ + u, user_clock_[u], step_, log_decay_, last_constants_);
    for (size_t i = 0; i < item_clock_.size(); ++i)
      catch_up_row(item_factors_ + i * k_, item_bias_ + i, item_clock_[i], step_, log_decay_, last_constants_);
  }

  ModelShape shape_;
  const TrainValidSplit& data_;
  TrainOptions options_;
  size_t k_;
  int threads_ = 1;              // the most threads a step may use
  bool adaptive_threads_ = false;
  int chosen_threads_ = 1;
  std::array<std::chrono::steady_clock::duration, kProbeSteps> probe_single_{}, probe_multi_{};
  size_t user_factors_ = 0, item_factors_ = 0, user_bias_ = 0, item_bias_ = 0, total_ = 0;
  FloatBuffer params_, exp_avg_, exp_avg_rms_, grad_;
  std::int64_t step_ = 0;
  const std::int32_t* batch_rows_ = nullptr;
  size_t batch_size_ = 0;
  std::vector<std::int32_t> touched_users_, touched_items_;
  double log_decay_ = 0;
  AdamConstants last_constants_{};
  struct StepRecord {
    double decay;      // 1 - lr*wd
    double mom;        // beta1
    double step_size;  // lr / (1 - beta1^t)
    double a;          // step_size * sqrt(1 - beta2^t)
    double log_decay;  // running sum of log(decay) up to this step
  };
  std::vector<StepRecord> history_;  // per step, from step 1
  std::vector<RowClock> user_clock_, item_clock_;
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
