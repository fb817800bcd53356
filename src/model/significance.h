// Paired significance between two runs scored on the same units (cv's folds, eval's users):
// the mean difference with a seeded percentile-bootstrap interval, the paired t-test, the
// Wilcoxon signed-rank test, and Holm's step-down adjustment across several comparisons. Plain
// free functions over plain vectors, each written from its definition and checked against values
// worked by hand and by scipy 1.10 in tests/unit/significance_test.cpp.
#pragma once

#include <cstddef>
#include <cstdint>
#include <vector>

namespace collab {

// I_x(a, b), the regularized incomplete beta function, for a, b > 0 and x in [0, 1]: by its
// continued fraction (modified Lentz), on the side of (a + 1) / (a + b + 2) where it converges
// fast, through I_x(a, b) = 1 - I_{1-x}(b, a) on the other.
double regularized_incomplete_beta(double a, double b, double x);

// P(|T| >= |t|) for Student's t with `df` degrees of freedom: I_{df/(df+t^2)}(df/2, 1/2).
double student_t_two_sided_p(double t, double df);

// P(|Z| >= |z|) for a standard normal Z.
double normal_two_sided_p(double z);

struct TTest {
  double t = 0;  // mean / (sd / sqrt(n)), sd with n - 1
  double df = 0;
  double p = 1;  // two-sided
};
// The paired t-test of differences `d` (n >= 2) against a mean of 0, as scipy's ttest_rel.
// Where every difference is equal the statistic is undefined (scipy gives NaN): p is 1 when they
// are all 0 (nothing differs) and 0 otherwise (t is infinite).
TTest paired_t_test(const std::vector<double>& d);

struct WilcoxonTest {
  double statistic = 0;  // min(W+, W-), the rank sums of the positive and the negative differences
  size_t n = 0;          // non-zero differences, the ones ranked
  bool exact = false;    // the exact null distribution (else the normal approximation)
  double z = 0;          // the normal approximation's z, 0 when exact
  double p = 1;          // two-sided
};
// The Wilcoxon signed-rank test of differences `d` against a median of 0, two-sided, as scipy's
// wilcoxon(d) with its defaults (zero_method "wilcox", no continuity correction): zero
// differences are dropped; the rest ranked by |d| with tied values given their average rank.
// Exact (the distribution of W+ over all 2^n sign patterns) when 1 <= n <= 50 with no zero and no
// tie; else the normal approximation, mean n(n+1)/4 and variance n(n+1)(2n+1)/24 - sum(t^3-t)/48
// over groups of t tied |d|. scipy 1.10 also takes the exact path for ties without zeros, with
// non-integer rank sums truncated; here ties always take the approximation. No non-zero
// difference at all (scipy raises): p = 1.
WilcoxonTest wilcoxon_signed_rank(const std::vector<double>& d);

struct Interval {
  double low = 0, high = 0;
};
// The percentile bootstrap of the mean of `d`: `resamples` means of n values drawn with
// replacement (Rng(seed)), and their (1 - level)/2 and (1 + level)/2 quantiles, linearly
// interpolated between order statistics (numpy's default). The same seed gives the same interval.
Interval bootstrap_mean_interval(const std::vector<double>& d, size_t resamples, std::uint64_t seed,
                                 double level = 0.95);

// Holm's step-down adjustment of m p-values: sorted ascending, the i-th (from 0) becomes
// min(1, (m - i) p_(i)), then each at least the one before it; returned in the input's order.
std::vector<double> holm_adjust(const std::vector<double>& p);

struct PairedComparison {
  size_t n = 0;
  double mean_a = 0, mean_b = 0;
  double mean_difference = 0;  // mean of b - a
  Interval interval;           // of the mean difference
  TTest t_test;
  WilcoxonTest wilcoxon;
};
// Every statistic above of the differences b[i] - a[i] (a and b the same length, at least 2).
PairedComparison compare_paired(const std::vector<double>& a, const std::vector<double>& b,
                                size_t resamples, std::uint64_t seed);

}  // namespace collab
