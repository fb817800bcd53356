#include "model/significance.h"

#include <algorithm>
#include <cmath>
#include <limits>
#include <numeric>

#include "support/error.h"
#include "support/random.h"

namespace collab {
namespace {

// The continued fraction of I_x(a, b) without its prefactor:
// 1 / (1 + d1 / (1 + d2 / (1 + ...))), d_{2m+1} = -(a+m)(a+b+m)x / ((a+2m)(a+2m+1)),
// d_{2m} = m(b-m)x / ((a+2m-1)(a+2m)), evaluated by the modified Lentz method.
double beta_continued_fraction(double a, double b, double x) {
  constexpr double tiny = 1e-300, eps = 1e-16;
  double f = 1, c = 1, d = 0;  // f = 1 + d1 / (1 + ...), built from b_j = 1, a_j = d_j
  auto step = [&](double aj) {
    d = 1 + aj * d;
    if (std::fabs(d) < tiny) d = tiny;
    c = 1 + aj / c;
    if (std::fabs(c) < tiny) c = tiny;
    d = 1 / d;
    const double delta = c * d;
    f *= delta;
    return std::fabs(delta - 1) < eps;
  };
  for (int m = 0; m < 100000; ++m) {
    const double dm = m;
    if (m > 0 && step(dm * (b - dm) * x / ((a + 2 * dm - 1) * (a + 2 * dm)))) break;
    if (step(-(a + dm) * (a + b + dm) * x / ((a + 2 * dm) * (a + 2 * dm + 1)))) break;
  }
  return 1 / f;
}

double mean_of(const std::vector<double>& v) {
  double sum = 0;
  for (double x : v) sum += x;
  return sum / static_cast<double>(v.size());
}

// Quantile q of sorted values, linear between order statistics at q (n - 1), as numpy's default.
double quantile_of_sorted(const std::vector<double>& sorted, double q) {
  const double at = q * static_cast<double>(sorted.size() - 1);
  const auto below = static_cast<size_t>(std::floor(at));
  const size_t above = std::min(below + 1, sorted.size() - 1);
  const double frac = at - static_cast<double>(below);
  return sorted[below] + frac * (sorted[above] - sorted[below]);
}

}  // namespace

double regularized_incomplete_beta(double a, double b, double x) {
  if (!(a > 0) || !(b > 0) || !(x >= 0 && x <= 1))
    throw internal_error("incomplete beta outside its domain");
  if (x == 0 || x == 1) return x;
  if (x > (a + 1) / (a + b + 2)) return 1 - regularized_incomplete_beta(b, a, 1 - x);
  // x^a (1-x)^b / (a B(a, b)), in logarithms so that large a and b do not overflow.
  const double log_prefactor =
      a * std::log(x) + b * std::log1p(-x) - (std::lgamma(a) + std::lgamma(b) - std::lgamma(a + b));
  return std::exp(log_prefactor) / a * beta_continued_fraction(a, b, x);
}

double student_t_two_sided_p(double t, double df) {
  if (std::isnan(t)) return std::nan("");
  if (std::isinf(t)) return 0;
  return regularized_incomplete_beta(df / 2, 0.5, df / (df + t * t));
}

double normal_two_sided_p(double z) { return std::erfc(std::fabs(z) / std::sqrt(2.0)); }

TTest paired_t_test(const std::vector<double>& d) {
  if (d.size() < 2) throw internal_error("a paired t-test needs at least 2 differences");
  TTest r;
  const auto n = static_cast<double>(d.size());
  const double mean = mean_of(d);
  double ss = 0;
  for (double x : d) ss += (x - mean) * (x - mean);
  const double sd = std::sqrt(ss / (n - 1));
  r.df = n - 1;
  if (sd == 0) {
    r.t = mean == 0 ? 0 : std::copysign(std::numeric_limits<double>::infinity(), mean);
    r.p = mean == 0 ? 1 : 0;
    return r;
  }
  r.t = mean / (sd / std::sqrt(n));
  r.p = student_t_two_sided_p(r.t, r.df);
  return r;
}

WilcoxonTest wilcoxon_signed_rank(const std::vector<double>& d) {
  WilcoxonTest r;
  std::vector<double> nonzero;
  for (double x : d)
    if (x != 0) nonzero.push_back(x);
  const size_t n = nonzero.size();
  r.n = n;
  if (n == 0) return r;  // nothing differs: statistic 0, p 1
  // Ranks of |d|, 1-based, ties sharing the average of the ranks they span.
  std::vector<size_t> order(n);
  std::iota(order.begin(), order.end(), 0);
  std::sort(order.begin(), order.end(),
            [&](size_t i, size_t j) { return std::fabs(nonzero[i]) < std::fabs(nonzero[j]); });
  std::vector<double> rank(n);
  double tie_term = 0;  // sum of t^3 - t over groups of t tied values
  for (size_t start = 0; start < n;) {
    size_t end = start + 1;
    while (end < n && std::fabs(nonzero[order[end]]) == std::fabs(nonzero[order[start]])) ++end;
    const double average = (static_cast<double>(start + 1) + static_cast<double>(end)) / 2;
    for (size_t i = start; i < end; ++i) rank[order[i]] = average;
    const auto t = static_cast<double>(end - start);
    tie_term += t * t * t - t;
    start = end;
  }
  double w_plus = 0, w_minus = 0;
  for (size_t i = 0; i < n; ++i) (nonzero[i] > 0 ? w_plus : w_minus) += rank[i];
  r.statistic = std::min(w_plus, w_minus);
  const bool zeros = n < d.size();
  r.exact = n <= 50 && !zeros && tie_term == 0;
  const auto dn = static_cast<double>(n);
  if (r.exact) {
    // ways[s]: how many subsets of the ranks 1..n sum to s; each of the 2^n sign patterns is
    // equally likely under the null. At n = 50 the counts stay below 2^50, exact in a double.
    const size_t top = n * (n + 1) / 2;
    std::vector<double> ways(top + 1, 0.0);
    ways[0] = 1;
    for (size_t k = 1; k <= n; ++k)
      for (size_t s = top; s >= k; --s) ways[s] += ways[s - k];
    const auto t = static_cast<size_t>(r.statistic);
    double at_most = 0;
    for (size_t s = 0; s <= t; ++s) at_most += ways[s];
    r.p = std::min(1.0, 2 * at_most / std::ldexp(1.0, static_cast<int>(n)));
    return r;
  }
  const double mean = dn * (dn + 1) / 4;
  const double variance = dn * (dn + 1) * (2 * dn + 1) / 24 - tie_term / 48;
  r.z = variance > 0 ? (r.statistic - mean) / std::sqrt(variance) : 0;
  r.p = variance > 0 ? normal_two_sided_p(r.z) : 1;
  return r;
}

Interval bootstrap_mean_interval(const std::vector<double>& d, size_t resamples, std::uint64_t seed,
                                 double level) {
  if (d.empty() || resamples == 0) throw internal_error("a bootstrap needs values and resamples");
  Rng rng(seed);
  const size_t n = d.size();
  std::vector<double> means(resamples);
  for (double& m : means) {
    double sum = 0;
    for (size_t i = 0; i < n; ++i) sum += d[static_cast<size_t>(rng.below(n))];
    m = sum / static_cast<double>(n);
  }
  std::sort(means.begin(), means.end());
  return {quantile_of_sorted(means, (1 - level) / 2), quantile_of_sorted(means, (1 + level) / 2)};
}

std::vector<double> holm_adjust(const std::vector<double>& p) {
  const size_t m = p.size();
  std::vector<size_t> order(m);
  std::iota(order.begin(), order.end(), 0);
  std::stable_sort(order.begin(), order.end(), [&](size_t i, size_t j) { return p[i] < p[j]; });
  std::vector<double> adjusted(m);
  double running = 0;
  for (size_t i = 0; i < m; ++i) {
    running = std::max(running, std::min(1.0, static_cast<double>(m - i) * p[order[i]]));
    adjusted[order[i]] = running;
  }
  return adjusted;
}

PairedComparison compare_paired(const std::vector<double>& a, const std::vector<double>& b,
                                size_t resamples, std::uint64_t seed) {
  if (a.size() != b.size() || a.size() < 2)
    throw internal_error("a paired comparison needs two equal runs of 2 or more");
  PairedComparison c;
  c.n = a.size();
  std::vector<double> d(c.n);
  for (size_t i = 0; i < c.n; ++i) d[i] = b[i] - a[i];
  c.mean_a = mean_of(a);
  c.mean_b = mean_of(b);
  c.mean_difference = mean_of(d);
  c.interval = bootstrap_mean_interval(d, resamples, seed);
  c.t_test = paired_t_test(d);
  c.wilcoxon = wilcoxon_signed_rank(d);
  return c;
}

}  // namespace collab
