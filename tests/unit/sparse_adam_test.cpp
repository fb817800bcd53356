// Sparse mode's kernels against plain double-precision arithmetic.
#include "cpu/sparse_adam.h"

#include <gtest/gtest.h>

#include <algorithm>
#include <cmath>
#include <iterator>
#include <vector>

#include "cpu/vector_exp.h"

namespace collab {
namespace {

TEST(VectorExp, IsCloseToExpOverItsRange) {
  for (float x = -87.0f; x <= 88.0f; x += 0.01337f) {
    const double want = std::exp(static_cast<double>(x));
    EXPECT_NEAR(exp_in_vector(x) / want, 1.0, 3e-7) << "x = " << x;
  }
  EXPECT_EQ(exp_in_vector(0.0f), 1.0f);
  EXPECT_LT(exp_in_vector(-1000.0f), 1e-37f);  // far below: as good as zero, never NaN
  EXPECT_TRUE(std::isfinite(exp_in_vector(1000.0f)));
}

// One missed step, replayed in double: what the closed form must reproduce for n = 1.
struct Row {
  double p, m, rms;
};
Row no_grad_step(Row r, const AdamStep<float>& c) {
  r.m *= c.beta1;
  r.rms *= c.sqrt_beta2;
  r.p = r.p * c.decay - c.step_size * r.m / (r.rms * c.inv_sqrt_debias2 + c.eps);
  return r;
}

AdamStep<float> some_step() {
  AdamStep<float> c{};
  c.decay = 1 - 5e-3f * 0.1f;
  c.beta1 = 0.9f;
  c.one_minus_beta1 = 0.1f;
  c.beta2 = 0.99f;
  c.one_minus_beta2 = 0.01f;
  c.sqrt_beta2 = std::sqrt(0.99f);
  c.step_size = 5e-3f / (1 - std::pow(0.9f, 100.0f));
  c.inv_sqrt_debias2 = 1 / std::sqrt(1 - std::pow(0.99f, 100.0f));
  c.eps = 1e-5f;
  return c;
}

// Runs the catch-up kernels on one row that missed `n` steps, all with the constants `c`.
Row catch_up(Row r, int n, const AdamStep<float>& c) {
  std::vector<float> count(kLanes, 1.0f), log_decay(kLanes, 0.0f), log_beta1(kLanes, 0.0f);
  count[0] = static_cast<float>(n);
  log_decay[0] = static_cast<float>(n * std::log(static_cast<double>(c.decay)));
  log_beta1[0] = static_cast<float>(n * std::log(static_cast<double>(c.beta1)));
  std::vector<float> keep(kLanes), m_scale(kLanes), rms_scale(kLanes), inv_b(kLanes), eps_a(kLanes);
  catch_up_factors(kLanes, {count.data(), log_decay.data(), log_beta1.data()}, c,
                   {keep.data(), m_scale.data(), rms_scale.data(), inv_b.data(), eps_a.data()});
  // A table of two rows; the second is the one caught up.
  alignas(32) float table[2 * 3 * kLanes] = {};
  float* p = table + 3 * kLanes;
  p[0] = static_cast<float>(r.p), p[kLanes] = static_cast<float>(r.m), p[2 * kLanes] = static_cast<float>(r.rms);
  const std::int32_t rows[] = {1};
  apply_catch_up({table, 3 * kLanes, kLanes}, rows, 1,
                 {keep.data(), m_scale.data(), rms_scale.data(), inv_b.data(), eps_a.data()});
  EXPECT_EQ(table[0], 0.0f);  // the other row is left alone
  return {p[0], p[kLanes], p[2 * kLanes]};
}

TEST(SparseAdam, OneMissedStepIsExactlyOneStepWithoutGradient) {
  const AdamStep<float> c = some_step();
  const Row start{0.3, 2e-3, 1e-2};
  const Row want = no_grad_step(start, c), got = catch_up(start, 1, c);
  EXPECT_NEAR(got.p, want.p, 1e-6 * std::fabs(want.p));
  EXPECT_NEAR(got.m, want.m, 1e-6 * std::fabs(want.m));
  EXPECT_NEAR(got.rms, want.rms, 1e-6 * want.rms);
}

TEST(SparseAdam, ManyMissedStepsMatchTheirReplay) {
  // With rms well above eps the closed form's only approximation (eps folded in through a mean)
  // is negligible: it must match the replay of every step to float precision.
  const AdamStep<float> c = some_step();
  for (int n : {2, 10, 100, 1000}) {
    Row want{0.3, 2e-3, 1e-2};
    for (int s = 0; s < n; ++s) want = no_grad_step(want, c);
    const Row got = catch_up({0.3, 2e-3, 1e-2}, n, c);
    EXPECT_NEAR(got.p, want.p, 2e-5 * std::fabs(want.p)) << n << " steps";
    EXPECT_NEAR(got.m, want.m, 1e-4 * std::fabs(want.m) + 1e-30) << n << " steps";
    EXPECT_NEAR(got.rms, want.rms, 1e-4 * want.rms) << n << " steps";
  }
}

TEST(SparseAdam, ARowWithNoMomentumOnlyDecays) {
  const AdamStep<float> c = some_step();
  const Row got = catch_up({0.5, 0.0, 0.0}, 300, c);
  EXPECT_NEAR(got.p, 0.5 * std::pow(static_cast<double>(c.decay), 300), 1e-6);
  EXPECT_EQ(got.m, 0.0);
  EXPECT_EQ(got.rms, 0.0);
}

TEST(SparseAdam, UpdateIsFastaisAdamAndClearsTheGradient) {
  const AdamStep<float> c = some_step();
  // Rows 2 and 0 of a table of three, with gradients in that order; row 1 has none.
  constexpr size_t kRow = 3 * kLanes;
  alignas(32) float table[3 * kRow] = {}, gradients[2 * kLanes];
  float* p = table + 2 * kRow;
  float* m = p + kLanes;
  float* rms = p + 2 * kLanes;
  float* g = gradients;
  for (size_t j = 0; j < kLanes; ++j)
    p[j] = 0.1f * j, m[j] = 1e-3f, rms[j] = 2e-3f, g[j] = 0.01f - 0.003f * j;
  for (size_t j = 0; j < kLanes; ++j) table[kRow + j] = 0.5f, gradients[kLanes + j] = 0.25f;
  Row want[kLanes];
  for (size_t j = 0; j < kLanes; ++j) {
    const double mj = c.beta1 * 1e-3 + c.one_minus_beta1 * g[j];
    const double rj =
        std::sqrt(c.beta2 * 2e-3 * 2e-3 + c.one_minus_beta2 * static_cast<double>(g[j]) * g[j]);
    want[j] = {p[j] * c.decay - c.step_size * mj / (rj * c.inv_sqrt_debias2 + c.eps), mj, rj};
  }
  const std::int32_t rows[] = {2, 0};
  sparse_adam_update({table, kRow, kLanes}, rows, 2, gradients, c);
  for (size_t j = 0; j < kLanes; ++j) {
    EXPECT_NEAR(p[j], want[j].p, 1e-6) << j;
    EXPECT_NEAR(m[j], want[j].m, 1e-8) << j;
    EXPECT_NEAR(rms[j], want[j].rms, 1e-8) << j;
    EXPECT_EQ(g[j], 0.0f);
    EXPECT_EQ(table[kRow + j], 0.5f) << "row 1 had no gradient";
    // Row 0 started at zero with gradient 0.25: its first Adam step moves it by about lr.
    EXPECT_NEAR(table[j], -c.step_size * c.one_minus_beta1 * 0.25 / (0.1 * 0.25 * c.inv_sqrt_debias2 + c.eps), 1e-7);
    EXPECT_EQ(gradients[kLanes + j], 0.0f);
  }
}

TEST(SparseAdam, ProcessorSpecificKernelsMatchThePortableOnes) {
  // Where the processor has AVX2 and FMA the kernels run hand-written vector code; elsewhere
  // (and here, on request) plain loops. They differ only in where FMA rounds once instead of
  // twice. Four rows of 16 parameters, with moments spread over several orders of magnitude.
  constexpr size_t kSpan = 2 * kLanes, kRow = 3 * kSpan, kRows = 4;
  alignas(32) float best[kRows * kRow], portable[kRows * kRow];
  alignas(32) float g_best[kRows * kSpan], g_portable[kRows * kSpan];
  for (size_t i = 0; i < kRows * kRow; ++i) {
    const size_t span = (i % kRow) / kSpan;  // 0 parameters, 1 m, 2 rms
    const float x = std::sin(0.7f * static_cast<float>(i));
    best[i] = span == 0 ? x : span == 1 ? 1e-3f * x : 1e-4f + 1e-2f * x * x;
  }
  for (size_t i = 0; i < kRows * kSpan; ++i) g_best[i] = 0.02f * std::cos(1.3f * static_cast<float>(i));
  std::copy(std::begin(best), std::end(best), portable);
  std::copy(std::begin(g_best), std::end(g_best), g_portable);
  const std::int32_t rows[] = {3, 0, 2};  // row 1 left alone
  const AdamStep<float> c = some_step();
  std::vector<float> count(kLanes, 7.0f), log_decay(kLanes, 7 * std::log(c.decay)), log_beta1(kLanes, 7 * std::log(c.beta1));
  std::vector<float> keep(kLanes), m_scale(kLanes), rms_scale(kLanes), inv_b(kLanes), eps_a(kLanes);
  catch_up_factors(kLanes, {count.data(), log_decay.data(), log_beta1.data()}, c,
                   {keep.data(), m_scale.data(), rms_scale.data(), inv_b.data(), eps_a.data()});
  const CatchUpFactors factors{keep.data(), m_scale.data(), rms_scale.data(), inv_b.data(), eps_a.data()};
  apply_catch_up({best, kRow, kSpan}, rows, 3, factors, KernelPath::best);
  apply_catch_up({portable, kRow, kSpan}, rows, 3, factors, KernelPath::portable);
  sparse_adam_update({best, kRow, kSpan}, rows, 3, g_best, c, KernelPath::best);
  sparse_adam_update({portable, kRow, kSpan}, rows, 3, g_portable, c, KernelPath::portable);
  for (size_t i = 0; i < kRows * kRow; ++i) EXPECT_NEAR(best[i], portable[i], 1e-6f * (1 + std::fabs(portable[i]))) << i;
  for (size_t i = 0; i < kRows * kSpan; ++i) EXPECT_EQ(g_best[i], g_portable[i]) << i;
}

}  // namespace
}  // namespace collab
