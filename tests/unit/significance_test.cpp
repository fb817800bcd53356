// The statistics of `collab compare` against values worked by hand and, where hand work runs out,
// values printed by scipy 1.10.1 (Debian 12's python3-scipy) for the same inputs; each scipy call
// is quoted beside its value. tests/e2e/compare_scipy_test.sh asks scipy afresh where it is here.
#include "model/significance.h"

#include <gtest/gtest.h>

#include <cmath>

using namespace collab;

TEST(IncompleteBeta, MatchesItsClosedFormsAndScipy) {
  // Closed forms: I_x(1, 1) = x, I_x(a, 1) = x^a, I_x(1, b) = 1 - (1-x)^b, I_0.5(a, a) = 1/2.
  for (double x : {0.0, 0.1, 0.5, 0.93, 1.0}) {
    EXPECT_NEAR(regularized_incomplete_beta(1, 1, x), x, 1e-14);
    EXPECT_NEAR(regularized_incomplete_beta(3, 1, x), x * x * x, 1e-14);
    EXPECT_NEAR(regularized_incomplete_beta(1, 4, x), 1 - std::pow(1 - x, 4), 1e-14);
  }
  EXPECT_NEAR(regularized_incomplete_beta(7.5, 7.5, 0.5), 0.5, 1e-14);
  // scipy.special.betainc(2.5, .5, .3), (50, .5, .99), (.5, 3, .9).
  EXPECT_NEAR(regularized_incomplete_beta(2.5, 0.5, 0.3), 0.01892712407194565, 1e-13);
  EXPECT_NEAR(regularized_incomplete_beta(50, 0.5, 0.99), 0.31730439787419623, 1e-12);
  EXPECT_NEAR(regularized_incomplete_beta(0.5, 3, 0.9), 0.9996750253207289, 1e-13);
}

TEST(StudentT, TwoSidedPMatchesTheClosedFormsAtOneAndTwoDegreesOfFreedom) {
  // df 1 is Cauchy: p = 1 - (2/pi) atan|t|; df 2: p = 1 - |t| / sqrt(2 + t^2).
  for (double t : {0.0, 0.5, 2.0, -3.0, 40.0}) {
    EXPECT_NEAR(student_t_two_sided_p(t, 1), 1 - 2 / M_PI * std::atan(std::fabs(t)), 1e-13) << t;
    EXPECT_NEAR(student_t_two_sided_p(t, 2), 1 - std::fabs(t) / std::sqrt(2 + t * t), 1e-13) << t;
  }
  EXPECT_EQ(student_t_two_sided_p(INFINITY, 5), 0.0);
}

TEST(PairedTTest, MatchesHandWorkedValues) {
  // d = 1, 2, 3: mean 2, sd 1, t = 2 / (1 / sqrt 3) = sqrt 12, df 2, p = 1 - sqrt(12/14)
  // (scipy's ttest_rel([0,0,0], [1,2,3]) gives 0.07417990022744853).
  const TTest r = paired_t_test({1, 2, 3});
  EXPECT_NEAR(r.t, std::sqrt(12.0), 1e-12);
  EXPECT_EQ(r.df, 2);
  EXPECT_NEAR(r.p, 1 - std::sqrt(12.0 / 14.0), 1e-13);
  // d = 1, 3: mean 2, sd sqrt 2, t = 2, df 1, p = 1 - (2/pi) atan 2 = 0.2951672353008665.
  EXPECT_NEAR(paired_t_test({1, 3}).p, 0.2951672353008665, 1e-13);
}

TEST(PairedTTest, EqualDifferencesGiveOneWhenZeroAndZeroOtherwise) {
  EXPECT_EQ(paired_t_test({0, 0, 0}).p, 1.0);
  EXPECT_EQ(paired_t_test({0.5, 0.5}).p, 0.0);
  EXPECT_TRUE(std::isinf(paired_t_test({0.5, 0.5}).t));
}

TEST(Wilcoxon, ExactPMatchesCountedSignPatterns) {
  // 1, 2, 3 all positive: W- = 0; of the 8 sign patterns one has W- <= 0: p = 2/8.
  WilcoxonTest w = wilcoxon_signed_rank({1, 2, 3});
  EXPECT_TRUE(w.exact);
  EXPECT_EQ(w.statistic, 0);
  EXPECT_DOUBLE_EQ(w.p, 0.25);
  // 1, -2, 3, 4: W- = 2, W+ = 8; subsets of {1..4} summing to at most 2: {}, {1}, {2}: p = 2*3/16.
  w = wilcoxon_signed_rank({1, -2, 3, 4});
  EXPECT_EQ(w.statistic, 2);
  EXPECT_DOUBLE_EQ(w.p, 0.375);
  // Balanced: 1, -2, -3, 4 has W+ = W- = 5, the centre: p = 1 (2 P(W <= 5) = 2 * 10/16 capped).
  EXPECT_DOUBLE_EQ(wilcoxon_signed_rank({1, -2, -3, 4}).p, 1.0);
}

TEST(Wilcoxon, NormalApproximationWithZerosAndTiesMatchesScipy) {
  // scipy.stats.wilcoxon([0,0,1.5,-.5,2,2,-1,3,.5,-2,4,2.5]): zeros dropped, ties averaged,
  // statistic 10.5, pvalue 0.08213085320446505.
  const WilcoxonTest w = wilcoxon_signed_rank({0, 0, 1.5, -0.5, 2, 2, -1, 3, 0.5, -2, 4, 2.5});
  EXPECT_FALSE(w.exact);
  EXPECT_EQ(w.n, 10u);
  EXPECT_DOUBLE_EQ(w.statistic, 10.5);
  EXPECT_NEAR(w.p, 0.08213085320446505, 1e-12);
}

TEST(Wilcoxon, MoreThanFiftyDifferencesTakeTheApproximationAsScipyDoes) {
  // 60 distinct differences; scipy.stats.wilcoxon(d): statistic 579.0, pvalue 0.013379732514095138.
  const std::vector<double> d = {
      2.340919,  -2.255665, 0.718099,  -0.26777,  -0.152649, 0.084403,  -1.719986, 0.068068,
      -0.565213, 3.623,     0.525787,  -0.052631, 0.018713,  -0.368046, -0.755151, -0.090801,
      0.781945,  0.061446,  1.257759,  0.100198,  0.32426,   1.845821,  0.845106,  -0.205229,
      0.117161,  0.840525,  2.235088,  0.03038,   0.056441,  1.302314,  -0.58646,  0.00828,
      1.182539,  0.88035,   0.391517,  0.970104,  -2.528162, 1.321307,  -0.659645, -1.36862,
      0.576446,  1.000545,  -0.144767, -0.776406, 0.326125,  0.247253,  1.705598,  1.047408,
      0.493816,  1.411633,  0.094477,  -0.6259,   0.884058,  0.882538,  0.085171,  -0.482809,
      0.529154,  -2.193894, 0.990125,  0.791368};
  const WilcoxonTest w = wilcoxon_signed_rank(d);
  EXPECT_FALSE(w.exact);
  EXPECT_DOUBLE_EQ(w.statistic, 579.0);
  EXPECT_NEAR(w.p, 0.013379732514095138, 1e-12);
}

TEST(Wilcoxon, NoNonZeroDifferenceMeansNothingDiffers) {
  const WilcoxonTest w = wilcoxon_signed_rank({0, 0, 0, 0});
  EXPECT_EQ(w.n, 0u);
  EXPECT_EQ(w.p, 1.0);
}

TEST(ComparePaired, TenFoldsMatchScipyTTestAndTieCorrectedWilcoxon) {
  const std::vector<double> a = {0.81, 0.79, 0.85, 0.83, 0.80, 0.84, 0.82, 0.78, 0.86, 0.81};
  const std::vector<double> b = {0.80, 0.80, 0.83, 0.82, 0.78, 0.845, 0.815, 0.775, 0.84, 0.80};
  const PairedComparison c = compare_paired(a, b, 2000, 1);
  EXPECT_EQ(c.n, 10u);
  EXPECT_NEAR(c.mean_difference, -0.0085, 1e-12);
  // scipy.stats.ttest_rel(b, a): statistic -2.612809149850656, pvalue 0.02814081924963985.
  EXPECT_NEAR(c.t_test.t, -2.612809149850656, 1e-11);
  EXPECT_NEAR(c.t_test.p, 0.02814081924963985, 1e-12);
  // The |d| tie (0.01, 0.02, 0.005 several times), so the approximation: scipy's
  // wilcoxon(b - a, method="approx") gives statistic 7.5, pvalue 0.03912759535568774 (its default
  // "auto" takes the exact path despite the ties, 0.037109375).
  EXPECT_FALSE(c.wilcoxon.exact);
  EXPECT_DOUBLE_EQ(c.wilcoxon.statistic, 7.5);
  EXPECT_NEAR(c.wilcoxon.p, 0.03912759535568774, 1e-12);
  EXPECT_LT(c.interval.low, c.mean_difference);
  EXPECT_GT(c.interval.high, c.mean_difference);
  EXPECT_LT(c.interval.high,
            0.0);  // every resample's mean of mostly negative differences stays below 0
}

TEST(Bootstrap, TwoValuesGiveTheirOwnRangeAndAConstantItself) {
  // Means of two draws from {0, 1}: 0 (1/4), 0.5 (1/2), 1 (1/4): the 2.5% and 97.5% quantiles are 0
  // and 1.
  const Interval i = bootstrap_mean_interval({0, 1}, 20000, 7);
  EXPECT_EQ(i.low, 0.0);
  EXPECT_EQ(i.high, 1.0);
  const Interval c = bootstrap_mean_interval({0.25, 0.25, 0.25}, 100, 7);
  EXPECT_EQ(c.low, 0.25);
  EXPECT_EQ(c.high, 0.25);
}

TEST(Bootstrap, SameSeedSameIntervalAndWidthNearTheNormalTheory) {
  std::vector<double> d;
  for (int i = 0; i < 400; ++i)
    d.push_back(std::sin(i * 1.7) + 0.1);  // mean near 0.1, sd near 0.707
  const Interval a = bootstrap_mean_interval(d, 10000, 3), b = bootstrap_mean_interval(d, 10000, 3);
  EXPECT_EQ(a.low, b.low);
  EXPECT_EQ(a.high, b.high);
  EXPECT_NE(a.low, bootstrap_mean_interval(d, 10000, 4).low);
  double mean = 0, ss = 0;
  for (double x : d) mean += x / 400;
  for (double x : d) ss += (x - mean) * (x - mean);
  const double half =
      1.96 * std::sqrt(ss / 400) / std::sqrt(400.0);  // the plug-in bootstrap's own sd
  EXPECT_NEAR(a.high - a.low, 2 * half, 0.1 * 2 * half);
  EXPECT_NEAR((a.low + a.high) / 2, mean, 0.1 * half);
}

TEST(Holm, StepDownAdjustmentMatchesHandWorkedValues) {
  // Sorted 0.005, 0.01, 0.03, 0.04 times 4, 3, 2, 1: 0.02, 0.03, 0.06, 0.04 -> running max 0.06.
  const std::vector<double> p = holm_adjust({0.01, 0.04, 0.03, 0.005});
  ASSERT_EQ(p.size(), 4u);
  EXPECT_DOUBLE_EQ(p[0], 0.03);
  EXPECT_DOUBLE_EQ(p[1], 0.06);
  EXPECT_DOUBLE_EQ(p[2], 0.06);
  EXPECT_DOUBLE_EQ(p[3], 0.02);
  EXPECT_EQ(holm_adjust({0.6, 0.5})[0], 1.0);  // 2 * 0.5 = 1, capped; 0.6 follows at 1
  EXPECT_EQ(holm_adjust({0.2})[0], 0.2);       // one comparison: unchanged
}
