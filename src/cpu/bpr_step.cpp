#include "cpu/bpr_step.h"

#include <cmath>

#include "cpu/bpr_kernels.h"
#include "cpu/sparse_adam.h"

namespace collab {

float bpr_triple(const float* pu, const float* qi, const float* qj, size_t k, bool has_bias, float bi, float bj,
                 float scale, float* gu, float* gi, float* gj) {
  float x = 0.0f;
#pragma omp simd reduction(+ : x)
  for (size_t f = 0; f < k; ++f) x += pu[f] * (qi[f] - qj[f]);
  if (has_bias) x += bi - bj;
  // loss = softplus(-x) = log(1 + e^-x), written to stay finite for large |x|;
  // d loss / d x = -sigmoid(-x) = -1 / (1 + e^x). One exponential for both.
  const float e = std::exp(-std::fabs(x));
  const float loss = std::log1p(e) + std::max(-x, 0.0f);
  const float g = -scale * (x > 0 ? e / (1.0f + e) : 1.0f / (1.0f + e));
#pragma omp simd
  for (size_t f = 0; f < k; ++f) {
    gu[f] += g * (qi[f] - qj[f]);
    gi[f] += g * pu[f];
    gj[f] -= g * pu[f];
  }
  if (has_bias) gi[k] += g, gj[k] -= g;
  return loss;
}

namespace {

float bias_of(const RowStore& store, std::int32_t row) {
  return store.has_bias() ? store.param(static_cast<size_t>(row))[store.factors()] : 0.0f;
}

}  // namespace

double bpr_triples_pass(const RowStore& store, const GradientTable& table, const std::vector<BprTriple>& triples,
                        const std::vector<std::int32_t>& slots, float scale, bool vector, std::vector<float>& scratch) {
  if (triples.empty()) return 0.0;
  if (vector && use_avx2(KernelPath::best)) {
    static_assert(sizeof(BprTriple) == 3 * sizeof(std::int32_t), "a triple is its three rows side by side");
    scratch.resize(triples.size() + 8);
    const BprRows m{store.param(0), 3 * store.stride(), store.stride(), store.factors(), store.has_bias(),
                    table.gradients()};
    return bpr_batch_avx2(m, &triples[0].user, slots.data(), triples.size(), scale, scratch.data());
  }
  double sum = 0;
  for (size_t t = 0; t < triples.size(); ++t) {
    const BprTriple& x = triples[t];
    sum += bpr_triple(store.param(static_cast<size_t>(x.user)), store.param(static_cast<size_t>(x.positive)),
                      store.param(static_cast<size_t>(x.negative)), store.factors(), store.has_bias(),
                      bias_of(store, x.positive), bias_of(store, x.negative), scale,
                      table.gradient(static_cast<size_t>(slots[3 * t])),
                      table.gradient(static_cast<size_t>(slots[3 * t + 1])),
                      table.gradient(static_cast<size_t>(slots[3 * t + 2])));
  }
  return sum;
}

double bpr_triples_loss(const RowStore& store, const std::vector<BprTriple>& triples) {
  std::vector<float> scratch(3 * store.stride(), 0.0f);  // the gradient, thrown away (scale 0)
  double sum = 0;
  for (const BprTriple& t : triples)
    sum += bpr_triple(store.param(static_cast<size_t>(t.user)), store.param(static_cast<size_t>(t.positive)),
                      store.param(static_cast<size_t>(t.negative)), store.factors(), store.has_bias(),
                      bias_of(store, t.positive), bias_of(store, t.negative), 0.0f, scratch.data(),
                      scratch.data() + store.stride(), scratch.data() + 2 * store.stride());
  return sum;
}

}  // namespace collab
