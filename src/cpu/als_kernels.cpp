#include "cpu/als_kernels.h"

#include <immintrin.h>

#include <algorithm>
#include <cstring>

namespace collab {

namespace {

// Below this squared residual a row counts as solved.
constexpr float kConverged = 1e-20f;

// sum over a row's n positives of (c - 1) s^2 - 2 c s + c with s = x . y_e: their cells' share of
// the objective beyond x^T (Y^T Y) x. Row e at rows + (index ? index[e] : e) * k.
template <class Dot>
double positives_objective(const float* rows, size_t k, const std::int32_t* index, const float* confidence, size_t n,
                           const float* x, Dot dot) {
  double sum = 0;
  for (size_t e = 0; e < n; ++e) {
    const double s = dot(x, rows + static_cast<size_t>(index ? index[e] : static_cast<std::int32_t>(e)) * k, k);
    const double c = confidence[e];
    sum += (c - 1) * s * s - 2 * c * s + c;
  }
  return sum;
}

void conjugate_gradient_row_portable(const float* gram, const float* other, size_t k, const std::int32_t* index,
                                     const float* confidence, size_t n, int steps, float* x, float* scratch,
                                     double* objective) {
  float* r = scratch;
  float* p = scratch + k;
  float* ap = scratch + 2 * k;
  // r = b - A x, with A x = gram x + sum (c - 1)(y . x) y and b = sum c y.
  gram_times(gram, x, k, r);
  for (size_t j = 0; j < k; ++j) r[j] = -r[j];
  for (size_t e = 0; e < n; ++e) {
    const float* y = other + static_cast<size_t>(index[e]) * k;
    const float c = confidence[e];
    const float w = c - (c - 1.0f) * plain_dot(y, x, k);
    for (size_t j = 0; j < k; ++j) r[j] += w * y[j];
  }
  for (size_t j = 0; j < k; ++j) p[j] = r[j];
  float rs = plain_dot(r, r, k);
  for (int step = 0; step < steps && rs > kConverged; ++step) {
    gram_times(gram, p, k, ap);
    for (size_t e = 0; e < n; ++e) {
      const float* y = other + static_cast<size_t>(index[e]) * k;
      const float w = (confidence[e] - 1.0f) * plain_dot(y, p, k);
      for (size_t j = 0; j < k; ++j) ap[j] += w * y[j];
    }
    const float pap = plain_dot(p, ap, k);
    if (!(pap > 0)) break;  // A is positive definite; only rounding gets here
    const float a = rs / pap;
    for (size_t j = 0; j < k; ++j) x[j] += a * p[j], r[j] -= a * ap[j];
    const float rs_next = plain_dot(r, r, k);
    for (size_t j = 0; j < k; ++j) p[j] = r[j] + (rs_next / rs) * p[j];
    rs = rs_next;
  }
  if (objective) *objective = positives_objective(other, k, index, confidence, n, x, plain_dot);
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
constexpr size_t kFarAhead = 32;

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

// out = gram v for a symmetric gram: out = sum over a of v[a] gram[a, :], a block of R vectors of
// out held in registers through the sum (no horizontal sums, one broadcast a column).
template <int R>
COLLAB_AVX2 inline void gram_block_avx2(const float* gram, const float* v, size_t k, size_t j, float* out) {
  __m256 o[R];
  for (int i = 0; i < R; ++i) o[i] = _mm256_setzero_ps();
  for (size_t a = 0; a < k; ++a) {
    const __m256 va = _mm256_broadcast_ss(v + a);
    const float* g = gram + a * k + j;
    for (int i = 0; i < R; ++i) o[i] = _mm256_fmadd_ps(va, _mm256_loadu_ps(g + 8 * i), o[i]);
  }
  for (int i = 0; i < R; ++i) _mm256_storeu_ps(out + j + 8 * i, o[i]);
}

COLLAB_AVX2 void gram_times_avx2(const float* gram, const float* v, size_t k, float* out) {
  const size_t kv = k & ~size_t{7};
  size_t j = 0;
  for (; j + 64 <= kv; j += 64) gram_block_avx2<8>(gram, v, k, j, out);
  for (; j + 32 <= kv; j += 32) gram_block_avx2<4>(gram, v, k, j, out);
  for (; j < kv; j += 8) gram_block_avx2<1>(gram, v, k, j, out);
  for (; j < k; ++j) out[j] = dot_avx2(gram + j * k, v, k);  // row j is column j
}

// Gathers the row's positives' factors side by side into `gathered`: the other side's rows come
// from memory in the order of `index`, which no hardware prefetcher foresees (so a software
// prefetch a few rows ahead), and every pass after reads consecutive memory.
COLLAB_AVX2 void gather_rows(const float* other, size_t k, const std::int32_t* index, size_t n, float* gathered) {
  for (size_t e = 0; e < n; ++e) {
    if (e + kPrefetchAhead < n) {
      const char* ahead = reinterpret_cast<const char*>(other + static_cast<size_t>(index[e + kPrefetchAhead]) * k);
      for (size_t byte = 0; byte < k * sizeof(float); byte += 64) _mm_prefetch(ahead + byte, _MM_HINT_T0);
    }
    std::memcpy(gathered + e * k, other + static_cast<size_t>(index[e]) * k, k * sizeof(float));
  }
}

// The four sums of s0..s3's lanes, in one vector.
COLLAB_AVX2 inline __m128 horizontal_sums4(__m256 s0, __m256 s1, __m256 s2, __m256 s3) {
  const __m256 s = _mm256_hadd_ps(_mm256_hadd_ps(s0, s1), _mm256_hadd_ps(s2, s3));
  return _mm_add_ps(_mm256_castps256_ps128(s), _mm256_extractf128_ps(s, 1));
}

// accumulate_rows for k = 8R: out held in R registers through the pass, four rows' weights
// computed as one vector. With kGather, row e is first read from other + index[e] k (asked for
// a few rows ahead) and copied to rows + e k as its dot product reads it: the row's first pass
// and its gather in one.
template <int R, bool kGather>
COLLAB_AVX2 void accumulate_rows_in_registers(float* rows, size_t n, const float* v, const float* confidence,
                                              bool residual, float* out, const float* other = nullptr,
                                              const std::int32_t* index = nullptr) {
  constexpr size_t k = 8 * R;
  auto source = [&](size_t e) { return kGather ? other + static_cast<size_t>(index[e]) * k : rows + e * k; };
  __m256 o[R];
  for (int i = 0; i < R; ++i) o[i] = _mm256_loadu_ps(out + 8 * i);
  const __m128 one = _mm_set1_ps(1.0f);
  size_t e = 0;
  for (; e + 4 <= n; e += 4) {
    if (kGather) {
      for (size_t ahead = e + kFarAhead; ahead < std::min(n, e + kFarAhead + 4); ++ahead)
        for (size_t f = 0; f < k; f += 16) _mm_prefetch(reinterpret_cast<const char*>(source(ahead) + f), _MM_HINT_T1);
      for (size_t ahead = e + kPrefetchAhead; ahead < std::min(n, e + kPrefetchAhead + 4); ++ahead)
        for (size_t f = 0; f < k; f += 16) _mm_prefetch(reinterpret_cast<const char*>(source(ahead) + f), _MM_HINT_T0);
    }
    const float *y0 = source(e), *y1 = source(e + 1), *y2 = source(e + 2), *y3 = source(e + 3);
    float* y = rows + e * k;
    __m256 s0 = _mm256_setzero_ps(), s1 = _mm256_setzero_ps(), s2 = _mm256_setzero_ps(), s3 = _mm256_setzero_ps();
    for (int i = 0; i < R; ++i) {
      const __m256 vv = _mm256_loadu_ps(v + 8 * i);
      const __m256 a0 = _mm256_loadu_ps(y0 + 8 * i), a1 = _mm256_loadu_ps(y1 + 8 * i);
      const __m256 a2 = _mm256_loadu_ps(y2 + 8 * i), a3 = _mm256_loadu_ps(y3 + 8 * i);
      if (kGather) {
        _mm256_storeu_ps(y + 8 * i, a0), _mm256_storeu_ps(y + k + 8 * i, a1);
        _mm256_storeu_ps(y + 2 * k + 8 * i, a2), _mm256_storeu_ps(y + 3 * k + 8 * i, a3);
      }
      s0 = _mm256_fmadd_ps(a0, vv, s0), s1 = _mm256_fmadd_ps(a1, vv, s1);
      s2 = _mm256_fmadd_ps(a2, vv, s2), s3 = _mm256_fmadd_ps(a3, vv, s3);
    }
    const __m128 d = horizontal_sums4(s0, s1, s2, s3), c = _mm_loadu_ps(confidence + e);
    const __m128 c_1d = _mm_mul_ps(_mm_sub_ps(c, one), d);
    const __m128 w4 = residual ? _mm_sub_ps(c, c_1d) : c_1d;
    const __m256 w = _mm256_set_m128(w4, w4);
    const __m256 w0 = _mm256_permute_ps(w, 0x00), w1 = _mm256_permute_ps(w, 0x55);
    const __m256 w2 = _mm256_permute_ps(w, 0xAA), w3 = _mm256_permute_ps(w, 0xFF);
    for (int i = 0; i < R; ++i) {
      o[i] = _mm256_fmadd_ps(w0, _mm256_loadu_ps(y + 8 * i), o[i]);
      o[i] = _mm256_fmadd_ps(w1, _mm256_loadu_ps(y + k + 8 * i), o[i]);
      o[i] = _mm256_fmadd_ps(w2, _mm256_loadu_ps(y + 2 * k + 8 * i), o[i]);
      o[i] = _mm256_fmadd_ps(w3, _mm256_loadu_ps(y + 3 * k + 8 * i), o[i]);
    }
  }
  for (int i = 0; i < R; ++i) _mm256_storeu_ps(out + 8 * i, o[i]);
  for (; e < n; ++e) {
    float* y = rows + e * k;
    if (kGather) std::memcpy(y, source(e), k * sizeof(float));
    const float c = confidence[e], d = dot_avx2(y, v, k);
    axpy_avx2(residual ? c - (c - 1.0f) * d : (c - 1.0f) * d, y, out, k);
  }
}

// accumulate_rows by the register version where k is a multiple of 8 up to 64, else the rows
// gathered first (with `index`) and taken by the general loop.
template <bool kGather>
COLLAB_AVX2 void accumulate(float* rows, size_t n, size_t k, const float* v, const float* confidence, bool residual,
                            float* out, const float* other = nullptr, const std::int32_t* index = nullptr) {
  switch (k) {
#define COLLAB_CASE(R) \
  case 8 * R: return accumulate_rows_in_registers<R, kGather>(rows, n, v, confidence, residual, out, other, index);
    COLLAB_CASE(8) COLLAB_CASE(7) COLLAB_CASE(6) COLLAB_CASE(5) COLLAB_CASE(4) COLLAB_CASE(3) COLLAB_CASE(2) COLLAB_CASE(1)
#undef COLLAB_CASE
    default:
      if (kGather) gather_rows(other, k, index, n, rows);
      return accumulate_rows(rows, n, k, v, confidence, residual, out);
  }
}

COLLAB_AVX2 void conjugate_gradient_row_avx2(const float* gram, const float* other, size_t k, const std::int32_t* index,
                                             const float* confidence, size_t n, int steps, float* x, float* scratch,
                                             double* objective) {
  float* r = scratch;
  float* p = scratch + k;
  float* ap = scratch + 2 * k;
  float* gathered = scratch + 3 * k;
  gram_times_avx2(gram, x, k, r);
  for (size_t j = 0; j < k; ++j) r[j] = -r[j];
  accumulate<true>(gathered, n, k, x, confidence, /*residual=*/true, r, other, index);
  for (size_t j = 0; j < k; ++j) p[j] = r[j];
  float rs = dot_avx2(r, r, k);
  for (int step = 0; step < steps && rs > kConverged; ++step) {
    gram_times_avx2(gram, p, k, ap);
    accumulate<false>(gathered, n, k, p, confidence, /*residual=*/false, ap);
    const float pap = dot_avx2(p, ap, k);
    if (!(pap > 0)) break;
    const float a = rs / pap;
    for (size_t j = 0; j < k; ++j) x[j] += a * p[j], r[j] -= a * ap[j];
    const float rs_next = dot_avx2(r, r, k);
    for (size_t j = 0; j < k; ++j) p[j] = r[j] + (rs_next / rs) * p[j];
    rs = rs_next;
  }
  if (objective) *objective = positives_objective(gathered, k, nullptr, confidence, n, x, [](const float* a, const float* b, size_t m) { return dot_avx2(a, b, m); });
}

}  // namespace

float best_dot(const float* a, const float* b, size_t k) {
  static const bool avx2 = use_avx2(KernelPath::best);
  return avx2 ? dot_avx2(a, b, k) : plain_dot(a, b, k);
}

void conjugate_gradient_row(const float* gram, const float* other, size_t k, const std::int32_t* index,
                            const float* confidence, size_t n, int steps, float* x, float* scratch, KernelPath path, double* objective) {
  if (use_avx2(path)) conjugate_gradient_row_avx2(gram, other, k, index, confidence, n, steps, x, scratch, objective);
  else conjugate_gradient_row_portable(gram, other, k, index, confidence, n, steps, x, scratch, objective);
}

void best_gram_times(const float* gram, const float* v, size_t k, float* out) {
  static const bool avx2 = use_avx2(KernelPath::best);
  if (avx2) gram_times_avx2(gram, v, k, out);
  else gram_times(gram, v, k, out);
}

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

}  // namespace collab
