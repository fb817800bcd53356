// The ranking models' arithmetic against independent computations: BPR's gradient against finite
// differences (and sparse mode's vector pass against it), implicit ALS's conjugate gradient against a direct solve of the same normal
// equations, popularity and BaselineOnly against values worked by hand.
#include <gtest/gtest.h>

#include <cmath>
#include <vector>

#include "cpu/als_kernels.h"
#include "cpu/baseline_only.h"
#include "cpu/bpr_engine.h"
#include "cpu/bpr_kernels.h"
#include "cpu/implicit_als.h"
#include "cpu/popularity.h"
#include "cpu/row_store.h"
#include "train/interactions.h"

namespace collab {
namespace {

double bpr_loss(const std::vector<float>& pu, const std::vector<float>& qi, const std::vector<float>& qj, bool bias) {
  const size_t k = pu.size() - 1;
  std::vector<float> g(k + 1, 0.0f);
  return bpr_triple(pu.data(), qi.data(), qj.data(), k, bias, qi[k], qj[k], 0.0f, g.data(), g.data(), g.data());
}

TEST(Bpr, TripleGradientMatchesFiniteDifferences) {
  for (bool bias : {false, true}) {
    // k = 3 factors, then the bias at [3] (read only with biases).
    std::vector<float> pu = {0.3f, -0.2f, 0.5f, 0.1f}, qi = {0.4f, 0.1f, -0.3f, 0.2f}, qj = {-0.1f, 0.6f, 0.2f, -0.4f};
    const size_t k = 3;
    std::vector<float> gu(k + 1, 0.0f), gi(k + 1, 0.0f), gj(k + 1, 0.0f);
    bpr_triple(pu.data(), qi.data(), qj.data(), k, bias, qi[k], qj[k], 1.0f, gu.data(), gi.data(), gj.data());
    const float h = 1e-3f;
    auto check = [&](std::vector<float>& param, const std::vector<float>& grad, size_t n) {
      for (size_t f = 0; f < n; ++f) {
        const float keep = param[f];
        param[f] = keep + h;
        const double up = bpr_loss(pu, qi, qj, bias);
        param[f] = keep - h;
        const double down = bpr_loss(pu, qi, qj, bias);
        param[f] = keep;
        EXPECT_NEAR(grad[f], (up - down) / (2 * h), 2e-4) << "parameter " << f << (bias ? " with biases" : "");
      }
    };
    check(pu, gu, k);                  // the user's bias cancels: no gradient
    check(qi, gi, bias ? k + 1 : k);
    check(qj, gj, bias ? k + 1 : k);
    EXPECT_EQ(gu[k], 0.0f);
  }
}

TEST(Bpr, LossIsSoftplusOfTheNegativeScoreDifference) {
  std::vector<float> pu = {1.0f, 0.0f}, qi = {2.0f, 0.0f}, qj = {0.5f, 0.0f};
  // x_ui - x_uj = 2 - 0.5 = 1.5: -log sigmoid(1.5) = log(1 + e^-1.5)
  EXPECT_NEAR(bpr_loss(pu, qi, qj, false), std::log1p(std::exp(-1.5)), 1e-6);
}

TEST(Bpr, SparseModesVectorBatchAgreesWithTheTripleToRounding) {
  if (!use_avx2(KernelPath::best)) GTEST_SKIP() << "no AVX2 and FMA here";
  for (size_t k : {size_t{13}, size_t{64}})
    for (bool bias : {false, true}) {
      const size_t span = (k + (bias ? 1 : 0) + 7) / 8 * 8, rows = 5;
      FloatBuffer params, gradients;
      params.assign_zero(rows * 3 * span);
      gradients.assign_zero(rows * span);
      for (size_t r = 0; r < rows; ++r)
        for (size_t f = 0; f < k + (bias ? 1 : 0); ++f)
          params.get()[r * 3 * span + f] = static_cast<float>(std::sin(1.3 * static_cast<double>(r * span + f))) * 0.8f;
      // Rows repeat across triples, so that a slot sums several; a row's slot is its number.
      const std::vector<std::int32_t> triples = {0, 3, 4, 1, 3, 2, 0, 2, 4, 1, 4, 3};
      const size_t n = triples.size() / 3;
      std::vector<float> expected(rows * span, 0.0f), x(n + 8);
      double expected_loss = 0;
      auto row = [&](std::int32_t r) { return params.get() + static_cast<size_t>(r) * 3 * span; };
      for (size_t t = 0; t < n; ++t) {
        const std::int32_t u = triples[3 * t], i = triples[3 * t + 1], j = triples[3 * t + 2];
        expected_loss += bpr_triple(row(u), row(i), row(j), k, bias, row(i)[k], row(j)[k], 0.25f,
                                    expected.data() + static_cast<size_t>(u) * span,
                                    expected.data() + static_cast<size_t>(i) * span,
                                    expected.data() + static_cast<size_t>(j) * span);
      }
      const BprRows m{params.get(), 3 * span, span, k, bias, gradients.get()};
      const double loss = bpr_batch_avx2(m, triples.data(), triples.data(), n, 0.25f, x.data());
      EXPECT_NEAR(loss, expected_loss, 1e-5 * expected_loss) << "k " << k << (bias ? " with biases" : "");
      for (size_t f = 0; f < rows * span; ++f)
        EXPECT_NEAR(gradients.get()[f], expected[f], 1e-5f) << "k " << k << (bias ? " with biases" : "") << ", float " << f;
    }
}

// Gaussian elimination in double: the reference the conjugate gradient is held to.
std::vector<double> direct_solve(std::vector<double> a, std::vector<double> b, size_t k) {
  for (size_t c = 0; c < k; ++c)
    for (size_t r = c + 1; r < k; ++r) {
      const double f = a[r * k + c] / a[c * k + c];
      for (size_t j = c; j < k; ++j) a[r * k + j] -= f * a[c * k + j];
      b[r] -= f * b[c];
    }
  std::vector<double> x(k);
  for (size_t r = k; r-- > 0;) {
    double s = b[r];
    for (size_t j = r + 1; j < k; ++j) s -= a[r * k + j] * x[j];
    x[r] = s / a[r * k + r];
  }
  return x;
}

TEST(ImplicitAls, ConjugateGradientSolvesTheWeightedNormalEquations) {
  const size_t k = 4, others = 6;
  const float lambda = 0.5f;
  // The other side's factors, and the row's positives: rows 1, 3 and 4 with confidences.
  const std::vector<float> y = {0.1f, 0.4f, -0.2f, 0.3f,  0.5f, -0.1f, 0.2f, 0.0f,  -0.3f, 0.2f, 0.6f, 0.1f,
                                0.2f, 0.2f, 0.1f, -0.5f,  0.4f, 0.3f, -0.1f, 0.2f,  -0.2f, -0.4f, 0.3f, 0.3f};
  const std::vector<std::int32_t> positives = {1, 3, 4};
  const std::vector<float> confidence = {3.0f, 1.5f, 5.0f};
  std::vector<float> gram(k * k, 0.0f);
  std::vector<double> a(k * k, 0.0), b(k, 0.0);
  for (size_t i = 0; i < others; ++i)
    for (size_t p = 0; p < k; ++p)
      for (size_t q = 0; q < k; ++q) gram[p * k + q] += y[i * k + p] * y[i * k + q];
  for (size_t p = 0; p < k; ++p) gram[p * k + p] += lambda;
  for (size_t p = 0; p < k * k; ++p) a[p] = gram[p];
  for (size_t e = 0; e < positives.size(); ++e) {
    const float* v = y.data() + static_cast<size_t>(positives[e]) * k;
    for (size_t p = 0; p < k; ++p) {
      b[p] += confidence[e] * v[p];
      for (size_t q = 0; q < k; ++q) a[p * k + q] += (confidence[e] - 1.0) * v[p] * v[q];
    }
  }
  const std::vector<double> expected = direct_solve(a, b, k);
  // k steps solve a k x k system exactly, up to rounding; from any start.
  std::vector<float> x = {0.01f, -0.02f, 0.03f, 0.0f}, scratch((3 + positives.size()) * k);
  conjugate_gradient_row(gram.data(), y.data(), k, positives.data(), confidence.data(), positives.size(),
                         static_cast<int>(k), x.data(), scratch.data());
  for (size_t p = 0; p < k; ++p) EXPECT_NEAR(x[p], expected[p], 1e-4) << "factor " << p;
  // Fewer steps come closer with each one (the error in A's norm never grows).
  auto error = [&](int steps) {
    std::vector<float> z = {0.01f, -0.02f, 0.03f, 0.0f};
    conjugate_gradient_row(gram.data(), y.data(), k, positives.data(), confidence.data(), positives.size(), steps,
                           z.data(), scratch.data());
    double e = 0;
    for (size_t p = 0; p < k; ++p) e += (z[p] - expected[p]) * (z[p] - expected[p]);
    return e;
  };
  EXPECT_LT(error(2), error(1));
  EXPECT_LT(error(1), error(0));
}

TEST(ImplicitAls, ProcessorsKernelAgreesWithThePlainLoopsToRounding) {
  // 64 factors (vector lanes and a tail are both exercised by 61), 40 positives, 3 steps.
  for (size_t k : {size_t{64}, size_t{61}}) {
    const size_t others = 50;
    std::vector<float> y(others * k), gram(k * k, 0.0f);
    for (size_t i = 0; i < y.size(); ++i) y[i] = static_cast<float>(std::sin(0.37 * static_cast<double>(i))) * 0.3f;
    for (size_t i = 0; i < others; ++i)
      for (size_t p = 0; p < k; ++p)
        for (size_t q = 0; q < k; ++q) gram[p * k + q] += y[i * k + p] * y[i * k + q];
    for (size_t p = 0; p < k; ++p) gram[p * k + p] += 2.0f;
    std::vector<std::int32_t> positives;
    std::vector<float> confidence;
    for (std::int32_t i = 0; i < 40; ++i) positives.push_back(i), confidence.push_back(1.0f + 0.5f * static_cast<float>(i % 5));
    std::vector<float> best(k, 0.01f), plain(k, 0.01f), scratch((3 + positives.size()) * k);
    conjugate_gradient_row(gram.data(), y.data(), k, positives.data(), confidence.data(), positives.size(), 3,
                           best.data(), scratch.data(), KernelPath::best);
    conjugate_gradient_row(gram.data(), y.data(), k, positives.data(), confidence.data(), positives.size(), 3,
                           plain.data(), scratch.data(), KernelPath::portable);
    for (size_t p = 0; p < k; ++p) EXPECT_NEAR(best[p], plain[p], 1e-4f * (1.0f + std::fabs(plain[p]))) << "k " << k << ", factor " << p;
  }
}

RatingSet small_ratings() {
  RatingSet s;
  s.user = {1, 1, 2, 2};
  s.item = {1, 2, 1, 3};
  s.rating = {4.0f, 2.0f, 5.0f, 1.0f};
  return s;
}

TEST(Popularity, CountsEveryTrainingRatingOrOnlyThePositives) {
  TrainOptions o;
  EXPECT_EQ(item_interaction_counts(small_ratings(), 4, o), (std::vector<float>{0, 2, 1, 1}));
  o.model.implicit = true;
  o.positive_rating = 3.0f;
  EXPECT_EQ(item_interaction_counts(small_ratings(), 4, o), (std::vector<float>{0, 2, 0, 0}));
}

TEST(Interactions, GroupPositivesByUserAndItemInOrder) {
  TrainOptions o;
  o.model.implicit = true;
  o.positive_rating = 3.0f;
  RatingSet s = small_ratings();
  s.user.push_back(3), s.item.push_back(2), s.rating.push_back(1.0f);  // user 3: no positive
  const Interactions x = interactions_of(s, 4, 4, o);
  EXPECT_EQ(x.by_user_offset, (std::vector<std::int64_t>{0, 0, 1, 2, 2}));
  EXPECT_EQ(x.by_user_item, (std::vector<std::int32_t>{1, 1}));
  EXPECT_EQ(x.by_item_user, (std::vector<std::int32_t>{1, 2}));
  EXPECT_EQ(x.trained_items, (std::vector<std::int32_t>{1, 2, 3}));
  EXPECT_EQ(x.users_without_positives, 1u);
}

TEST(BaselineOnly, OneAlsPassMatchesHandWorkedBiases) {
  // Ratings (u1,i1,4), (u1,i2,2), (u2,i1,5); mu = 11/3; reg_u = reg_i = 1. Items first:
  //   b_i1 = ((4 - mu) + (5 - mu)) / (1 + 2) = 5/9,  b_i2 = (2 - mu) / (1 + 1) = -5/6
  // then users with those:
  //   b_u1 = ((4 - mu - 5/9) + (2 - mu + 5/6)) / 3 = -19/54,  b_u2 = (5 - mu - 5/9) / 2 = 7/18
  RatingSet s;
  s.user = {1, 1, 2};
  s.item = {1, 2, 1};
  s.rating = {4.0f, 2.0f, 5.0f};
  BaselineBiases b;
  b.mu = 11.0 / 3;
  b.user.assign(3, 0.0);
  b.item.assign(3, 0.0);
  baseline_als_pass(s, 1.0, 1.0, b);
  EXPECT_NEAR(b.item[1], 5.0 / 9, 1e-12);
  EXPECT_NEAR(b.item[2], -5.0 / 6, 1e-12);
  EXPECT_NEAR(b.user[1], -19.0 / 54, 1e-12);
  EXPECT_NEAR(b.user[2], 7.0 / 18, 1e-12);
  EXPECT_EQ(b.item[0], 0.0);  // #na# has no rating
}

}  // namespace
}  // namespace collab
