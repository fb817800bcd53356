#include "cpu/implicit_als.h"

#include <atomic>
#include <cmath>
#include <cstdio>
#include <cstring>
#include <thread>
#include <type_traits>

#include <immintrin.h>

#include "support/cores.h"
#include "train/interactions.h"

namespace collab {

namespace {

// Below this squared residual a row counts as solved.
constexpr float kConverged = 1e-20f;

float dot(const float* a, const float* b, size_t k) {
  float s = 0;
  for (size_t j = 0; j < k; ++j) s += a[j] * b[j];
  return s;
}

// out = gram . v
void gram_times(const float* gram, const float* v, size_t k, float* out) {
  for (size_t a = 0; a < k; ++a) out[a] = dot(gram + a * k, v, k);
}

void conjugate_gradient_row_portable(const float* gram, const float* other, size_t k, const std::int32_t* index,
                                     const float* confidence, size_t n, int steps, float* x, float* scratch) {
  float* r = scratch;
  float* p = scratch + k;
  float* ap = scratch + 2 * k;
  // r = b - A x, with A x = gram x + sum (c - 1)(y . x) y and b = sum c y.
  gram_times(gram, x, k, r);
  for (size_t j = 0; j < k; ++j) r[j] = -r[j];
  for (size_t e = 0; e < n; ++e) {
    const float* y = other + static_cast<size_t>(index[e]) * k;
    const float c = confidence[e];
    const float w = c - (c - 1.0f) * dot(y, x, k);
    for (size_t j = 0; j < k; ++j) r[j] += w * y[j];
  }
  for (size_t j = 0; j < k; ++j) p[j] = r[j];
  float rs = dot(r, r, k);
  for (int step = 0; step < steps && rs > kConverged; ++step) {
    gram_times(gram, p, k, ap);
    for (size_t e = 0; e < n; ++e) {
      const float* y = other + static_cast<size_t>(index[e]) * k;
      const float w = (confidence[e] - 1.0f) * dot(y, p, k);
      for (size_t j = 0; j < k; ++j) ap[j] += w * y[j];
    }
    const float pap = dot(p, ap, k);
    if (!(pap > 0)) break;  // A is positive definite; only rounding gets here
    const float a = rs / pap;
    for (size_t j = 0; j < k; ++j) x[j] += a * p[j], r[j] -= a * ap[j];
    const float rs_next = dot(r, r, k);
    for (size_t j = 0; j < k; ++j) p[j] = r[j] + (rs_next / rs) * p[j];
    rs = rs_next;
  }
}

// The same steps with AVX2 and FMA: eight factors a register, a dot product in two
// accumulators. The sums run in another order than the plain loop's, so the two agree to
// rounding (a test holds them close); each is deterministic on its own.
#define COLLAB_AVX2 __attribute__((target("avx2,fma")))

COLLAB_AVX2 inline float horizontal_sum(__m256 v) {
  __m128 s = _mm_add_ps(_mm256_castps256_ps128(v), _mm256_extractf128_ps(v, 1));
  s = _mm_add_ps(s, _mm_movehl_ps(s, s));
  s = _mm_add_ss(s, _mm_movehdup_ps(s));
  return _mm_cvtss_f32(s);
}

COLLAB_AVX2 inline float dot_avx2(const float* a, const float* b, size_t k) {
  __m256 s0 = _mm256_setzero_ps(), s1 = _mm256_setzero_ps();
  size_t j = 0;
  for (; j + 16 <= k; j += 16) {
    s0 = _mm256_fmadd_ps(_mm256_loadu_ps(a + j), _mm256_loadu_ps(b + j), s0);
    s1 = _mm256_fmadd_ps(_mm256_loadu_ps(a + j + 8), _mm256_loadu_ps(b + j + 8), s1);
  }
  if (j + 8 <= k) s0 = _mm256_fmadd_ps(_mm256_loadu_ps(a + j), _mm256_loadu_ps(b + j), s0), j += 8;
  float s = horizontal_sum(_mm256_add_ps(s0, s1));
  for (; j < k; ++j) s += a[j] * b[j];
  return s;
}

// out += w * y
COLLAB_AVX2 inline void axpy_avx2(float w, const float* y, float* out, size_t k) {
  const __m256 wv = _mm256_set1_ps(w);
  size_t j = 0;
  for (; j + 8 <= k; j += 8) _mm256_storeu_ps(out + j, _mm256_fmadd_ps(wv, _mm256_loadu_ps(y + j), _mm256_loadu_ps(out + j)));
  for (; j < k; ++j) out[j] += w * y[j];
}

constexpr size_t kPrefetchAhead = 8;

// out += sum over the n rows y_e (k floats each, side by side in `rows`) of w_e y_e, with
// w_e = (c_e - 1)(y_e . v), or with `residual` c_e - (c_e - 1)(y_e . v). Four rows at a time:
// their dot products share v's loads and their updates one load and store of out.
COLLAB_AVX2 void accumulate_rows(const float* rows, size_t n, size_t k, const float* v, const float* confidence,
                                 bool residual, float* out) {
  const size_t kv = k & ~size_t{7};
  size_t e = 0;
  for (; e + 4 <= n; e += 4) {
    const float* y0 = rows + e * k;
    const float *y1 = y0 + k, *y2 = y1 + k, *y3 = y2 + k;
    __m256 s0 = _mm256_setzero_ps(), s1 = _mm256_setzero_ps(), s2 = _mm256_setzero_ps(), s3 = _mm256_setzero_ps();
    for (size_t j = 0; j < kv; j += 8) {
      const __m256 vv = _mm256_loadu_ps(v + j);
      s0 = _mm256_fmadd_ps(_mm256_loadu_ps(y0 + j), vv, s0);
      s1 = _mm256_fmadd_ps(_mm256_loadu_ps(y1 + j), vv, s1);
      s2 = _mm256_fmadd_ps(_mm256_loadu_ps(y2 + j), vv, s2);
      s3 = _mm256_fmadd_ps(_mm256_loadu_ps(y3 + j), vv, s3);
    }
    float d[4] = {horizontal_sum(s0), horizontal_sum(s1), horizontal_sum(s2), horizontal_sum(s3)};
    for (size_t j = kv; j < k; ++j) d[0] += y0[j] * v[j], d[1] += y1[j] * v[j], d[2] += y2[j] * v[j], d[3] += y3[j] * v[j];
    float w[4];
    for (size_t i = 0; i < 4; ++i) {
      const float c = confidence[e + i];
      w[i] = residual ? c - (c - 1.0f) * d[i] : (c - 1.0f) * d[i];
    }
    const __m256 w0 = _mm256_set1_ps(w[0]), w1 = _mm256_set1_ps(w[1]), w2 = _mm256_set1_ps(w[2]), w3 = _mm256_set1_ps(w[3]);
    for (size_t j = 0; j < kv; j += 8) {
      __m256 o = _mm256_loadu_ps(out + j);
      o = _mm256_fmadd_ps(w0, _mm256_loadu_ps(y0 + j), o);
      o = _mm256_fmadd_ps(w1, _mm256_loadu_ps(y1 + j), o);
      o = _mm256_fmadd_ps(w2, _mm256_loadu_ps(y2 + j), o);
      o = _mm256_fmadd_ps(w3, _mm256_loadu_ps(y3 + j), o);
      _mm256_storeu_ps(out + j, o);
    }
    for (size_t j = kv; j < k; ++j) out[j] += w[0] * y0[j] + w[1] * y1[j] + w[2] * y2[j] + w[3] * y3[j];
  }
  for (; e < n; ++e) {
    const float* y = rows + e * k;
    const float c = confidence[e], d = dot_avx2(y, v, k);
    axpy_avx2(residual ? c - (c - 1.0f) * d : (c - 1.0f) * d, y, out, k);
  }
}

COLLAB_AVX2 void conjugate_gradient_row_avx2(const float* gram, const float* other, size_t k, const std::int32_t* index,
                                             const float* confidence, size_t n, int steps, float* x, float* scratch) {
  float* r = scratch;
  float* p = scratch + k;
  float* ap = scratch + 2 * k;
  // The row's positives' factors, copied side by side first: the other side's rows come from
  // memory in the order of `index`, which no hardware prefetcher foresees (so a software
  // prefetch a few rows ahead), and every pass after reads consecutive memory.
  float* gathered = scratch + 3 * k;
  for (size_t e = 0; e < n; ++e) {
    if (e + kPrefetchAhead < n) {
      const char* ahead = reinterpret_cast<const char*>(other + static_cast<size_t>(index[e + kPrefetchAhead]) * k);
      for (size_t byte = 0; byte < k * sizeof(float); byte += 64) _mm_prefetch(ahead + byte, _MM_HINT_T0);
    }
    std::memcpy(gathered + e * k, other + static_cast<size_t>(index[e]) * k, k * sizeof(float));
  }
  for (size_t a = 0; a < k; ++a) r[a] = -dot_avx2(gram + a * k, x, k);
  accumulate_rows(gathered, n, k, x, confidence, /*residual=*/true, r);
  for (size_t j = 0; j < k; ++j) p[j] = r[j];
  float rs = dot_avx2(r, r, k);
  for (int step = 0; step < steps && rs > kConverged; ++step) {
    for (size_t a = 0; a < k; ++a) ap[a] = dot_avx2(gram + a * k, p, k);
    accumulate_rows(gathered, n, k, p, confidence, /*residual=*/false, ap);
    const float pap = dot_avx2(p, ap, k);
    if (!(pap > 0)) break;
    const float a = rs / pap;
    for (size_t j = 0; j < k; ++j) x[j] += a * p[j], r[j] -= a * ap[j];
    const float rs_next = dot_avx2(r, r, k);
    for (size_t j = 0; j < k; ++j) p[j] = r[j] + (rs_next / rs) * p[j];
    rs = rs_next;
  }
}

// g (k x k, upper triangle) += y y^T for the `count` rows `rows` of `other`.
__attribute__((target_clones("arch=x86-64-v3", "default"))) void add_outer_products(
    const float* other, const std::int32_t* rows, size_t count, size_t k, double* g) {
  for (size_t r = 0; r < count; ++r) {
    const float* y = other + static_cast<size_t>(rows[r]) * k;
    for (size_t a = 0; a < k; ++a) {
      const double ya = y[a];
      double* out = g + a * k;
      for (size_t b = a; b < k; ++b) out[b] += ya * y[b];
    }
  }
}

}  // namespace

float best_dot(const float* a, const float* b, size_t k) {
  static const bool avx2 = use_avx2(KernelPath::best);
  return avx2 ? dot_avx2(a, b, k) : dot(a, b, k);
}

void conjugate_gradient_row(const float* gram, const float* other, size_t k, const std::int32_t* index,
                            const float* confidence, size_t n, int steps, float* x, float* scratch, KernelPath path) {
  if (use_avx2(path)) conjugate_gradient_row_avx2(gram, other, k, index, confidence, n, steps, x, scratch);
  else conjugate_gradient_row_portable(gram, other, k, index, confidence, n, steps, x, scratch);
}

namespace {

class ImplicitAlsEngine final : public TrainingEngine {
 public:
  explicit ImplicitAlsEngine(const EngineSetup& s)
      : shape_(s.shape),
        options_(s.options),
        k_(static_cast<size_t>(s.shape.factors)),
        x_(interactions_of(s.data->train, static_cast<size_t>(s.shape.n_users), static_cast<size_t>(s.shape.n_items), s.options)),
        users_(s.initial.get(tables::user_factors).values),
        items_(s.initial.get(tables::item_factors).values),
        threads_(s.options.threads > 0 ? s.options.threads : usable_cores()) {
    for (size_t u = 1; u < x_.user_rows; ++u)
      if (x_.count_of_user(u) > 0) solved_users_.push_back(static_cast<std::int32_t>(u));
    solved_items_ = x_.trained_items;
    for (float r : x_.by_user_rating) user_confidence_.push_back(confidence(r));
    for (float r : x_.by_item_rating) item_confidence_.push_back(confidence(r));
    if (x_.users_without_positives > 0)
      std::fprintf(stderr, "collab: note: %zu users have no positive training interaction (--positive-rating %g); "
                   "ALS skips them and leaves their factors as drawn\n", x_.users_without_positives,
                   static_cast<double>(options_.positive_rating));
  }

  bool fits_by_passes() const override { return true; }

  // Users, then items; returns the weighted squared error per cell after the pass (plus the
  // regularisation), from the items' half.
  double train_pass() override {
    half_pass(users_, items_, solved_items_, solved_users_, x_.by_user_offset, x_.by_user_item, user_confidence_, nullptr);
    double loss = 0;
    half_pass(items_, users_, solved_users_, solved_items_, x_.by_item_offset, x_.by_item_user, item_confidence_, &loss);
    const double cells = static_cast<double>(solved_users_.size()) * static_cast<double>(solved_items_.size());
    return cells > 0 ? loss / cells : 0.0;
  }

  std::vector<float> train_batches(const std::int32_t*, size_t, size_t, const StepHyper*,
                                   const std::atomic<bool>*) override {
    return {};
  }
  double validation_mse() override { return std::nan(""); }  // a ranking model: eval's metrics judge it
  Weights weights() const override {
    Weights w;
    w.tensors.push_back({tables::user_factors, {shape_.n_users, shape_.factors}, users_});
    w.tensors.push_back({tables::item_factors, {shape_.n_items, shape_.factors}, items_});
    return w;
  }
  std::string device_name() const override {
    return "cpu (implicit ALS, " + std::to_string(threads_) + (threads_ == 1 ? " thread)" : " threads)");
  }

 private:
  float confidence(float rating) const { return static_cast<float>(1.0 + options_.alpha * rating); }

  // Solves every row of `rows` in `mine` against `other`'s rows `other_rows`. With `loss`, also
  // the objective's share of each solved row (its cells against every other row, plus the
  // regularisation of both sides), summed in row order.
  void half_pass(std::vector<float>& mine, const std::vector<float>& other, const std::vector<std::int32_t>& other_rows,
                 const std::vector<std::int32_t>& rows, const std::vector<std::int64_t>& offset,
                 const std::vector<std::int32_t>& index, const std::vector<float>& conf, double* loss) {
    const size_t k = k_;
    const auto lambda = static_cast<float>(options_.wd);
    // Y^T Y over the other side's trained rows, in double, then lambda on the diagonal: a
    // partial sum per fixed block of rows, on any thread, added in block order, so that the
    // bits do not depend on the thread count.
    const size_t blocks = (other_rows.size() + kGramBlock - 1) / kGramBlock;
    std::vector<double> partial(blocks * k * k, 0.0);
    on_threads(blocks, [&](size_t b) {
      const size_t first = b * kGramBlock, count = std::min(kGramBlock, other_rows.size() - first);
      add_outer_products(other.data(), other_rows.data() + first, count, k, partial.data() + b * k * k);
    });
    std::vector<double> g(k * k, 0.0);
    for (size_t b = 0; b < blocks; ++b)
      for (size_t c = 0; c < k * k; ++c) g[c] += partial[b * k * k + c];
    std::vector<float> gram(k * k), plain(k * k);
    for (size_t a = 0; a < k; ++a)
      for (size_t b = a; b < k; ++b) plain[a * k + b] = plain[b * k + a] = static_cast<float>(g[a * k + b]);
    gram = plain;
    for (size_t a = 0; a < k; ++a) gram[a * k + a] += lambda;

    std::vector<double> row_loss(loss ? rows.size() : 0);
    std::vector<std::vector<float>> scratch(static_cast<size_t>(threads_), std::vector<float>(3 * k));
    on_threads((rows.size() + kChunk - 1) / kChunk, [&](size_t chunk, int thread) {
      std::vector<float>& mine_scratch = scratch[static_cast<size_t>(thread)];
      for (size_t r = chunk * kChunk; r < std::min(rows.size(), (chunk + 1) * kChunk); ++r) {
        const auto row = static_cast<size_t>(rows[r]);
        const auto from = static_cast<size_t>(offset[row]), n = static_cast<size_t>(offset[row + 1]) - from;
        if (mine_scratch.size() < (3 + n) * k) mine_scratch.resize((3 + n) * k);
        float* s = mine_scratch.data();
        float* x = mine.data() + row * k;
        conjugate_gradient_row(gram.data(), other.data(), k, index.data() + from, conf.data() + from, n,
                               options_.cg_steps, x, s);
        if (loss) row_loss[r] = objective_of_row(plain.data(), other.data(), index.data() + from, conf.data() + from, n, x, s);
      }
    });
    if (!loss) return;
    double sum = 0;
    for (double l : row_loss) sum += l;
    for (auto row : rows) sum += lambda * dot(mine.data() + static_cast<size_t>(row) * k, mine.data() + static_cast<size_t>(row) * k, k);
    for (auto row : other_rows)
      sum += lambda * dot(other.data() + static_cast<size_t>(row) * k, other.data() + static_cast<size_t>(row) * k, k);
    *loss = sum;
  }

  static constexpr size_t kGramBlock = 2048, kChunk = 32;

  // Runs task(t) for t in [0, count) over threads_ threads, each task once, in any order.
  template <class Task>
  void on_threads(size_t count, Task task) {
    std::atomic<size_t> next{0};
    auto work = [&](int thread) {
      for (size_t t; (t = next.fetch_add(1)) < count;) {
        if constexpr (std::is_invocable_v<Task, size_t, int>) task(t, thread);
        else task(t);
      }
    };
    std::vector<std::thread> helpers;
    for (int t = 1; t < threads_; ++t) helpers.emplace_back(work, t);
    work(0);
    for (auto& h : helpers) h.join();
  }

  // sum over every other row j of c_j (p_j - x . y_j)^2 = x^T (Y^T Y) x plus, for the positives,
  // (c - 1) s^2 - 2 c s + c with s = x . y.
  double objective_of_row(const float* plain_gram, const float* other, const std::int32_t* index, const float* conf,
                          size_t n, const float* x, float* scratch) const {
    gram_times(plain_gram, x, k_, scratch);
    double sum = dot(x, scratch, k_);
    for (size_t e = 0; e < n; ++e) {
      const double s = best_dot(x, other + static_cast<size_t>(index[e]) * k_, k_), c = conf[e];
      sum += (c - 1) * s * s - 2 * c * s + c;
    }
    return sum;
  }

  ModelShape shape_;
  TrainOptions options_;
  size_t k_;
  Interactions x_;
  std::vector<float> users_, items_;  // [rows, k]
  std::vector<std::int32_t> solved_users_, solved_items_;
  std::vector<float> user_confidence_, item_confidence_;  // beside x_'s by-user and by-item lists
  int threads_;
};

}  // namespace

std::unique_ptr<TrainingEngine> make_implicit_als_engine(const EngineSetup& setup) {
  return std::make_unique<ImplicitAlsEngine>(setup);
}

}  // namespace collab
