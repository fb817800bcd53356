// TPE's proposals (train/tuning.h): the observation weights, the Parzen estimators and the
// choice of the next configuration.
#include <algorithm>
#include <cmath>
#include <cstdint>

#include "support/random.h"
#include "train/tuning.h"

namespace collab {

size_t tpe_history_end(size_t trial) {
  if (trial < kTpeStartupTrials) return 0;
  return kTpeStartupTrials + kTpeBatch * ((trial - kTpeStartupTrials) / kTpeBatch);
}

std::vector<double> tpe_weights(size_t n) {
  constexpr size_t kFlat = 25;
  std::vector<double> w(n, 1.0);
  if (n <= kFlat) return w;
  const size_t ramp = n - kFlat;  // the oldest: evenly from 1/n up to 1
  for (size_t i = 0; i < ramp; ++i)
    w[i] = ramp == 1 ? 1.0 / static_cast<double>(n)
                     : 1.0 / static_cast<double>(n) + (1.0 - 1.0 / static_cast<double>(n)) *
                                                          static_cast<double>(i) /
                                                          static_cast<double>(ramp - 1);
  return w;
}

namespace {

constexpr double kPi = 3.14159265358979323846;
double normal_cdf(double z) { return 0.5 * std::erfc(-z / std::sqrt(2.0)); }
double log_sum_exp(const std::vector<double>& v) {
  const double m = *std::max_element(v.begin(), v.end());
  if (!std::isfinite(m)) return m;
  double s = 0;
  for (double x : v) s += std::exp(x - m);
  return m + std::log(s);
}

// A range's internal bounds: whole numbers widened by 0.5 each side, then the log where asked.
double widened(const TunedOption& o) { return o.integer ? 0.5 : 0.0; }
double internal_low(const TunedOption& o) { return tpe_internal(o, o.low - widened(o)); }
double internal_high(const TunedOption& o) { return tpe_internal(o, o.high + widened(o)); }

// Each observation's sigma on one range: the larger gap to its neighbours, the outermost the gap
// to their one neighbour (Optuna's consider_endpoints=False), a lone one the larger distance to
// an end; then the magic clip.
std::vector<double> kernel_sigmas(const std::vector<double>& mu, double low, double high) {
  const size_t n = mu.size();
  std::vector<size_t> order(n);
  for (size_t i = 0; i < n; ++i) order[i] = i;
  std::stable_sort(order.begin(), order.end(), [&](size_t a, size_t b) { return mu[a] < mu[b]; });
  std::vector<double> sigma(n);
  for (size_t k = 0; k < n; ++k) {
    const double here = mu[order[k]];
    const double left = k == 0 ? low : mu[order[k - 1]];
    const double right = k + 1 == n ? high : mu[order[k + 1]];
    double s = std::max(here - left, right - here);
    if (n >= 2 && k == 0) s = right - here;
    if (n >= 2 && k + 1 == n) s = here - left;
    sigma[order[k]] = s;
  }
  const double width = high - low;
  const double min_sigma = width / std::min(100.0, 2.0 + static_cast<double>(n));
  for (double& s : sigma) s = std::clamp(s, min_sigma, width);
  return sigma;
}

// log of the mass a Gaussian keeps in [a, b].
double log_mass(double mu, double sigma, double a, double b) {
  return std::log(std::max(normal_cdf((b - mu) / sigma) - normal_cdf((a - mu) / sigma), 1e-300));
}

// One range's log density under kernel k at internal point x (a whole number's: its cell's mass).
double range_log_pdf(const ParzenEstimator::Dimension& d, size_t k, double x) {
  const double mu = d.mu[k], sigma = d.sigma[k];
  const double kept = log_mass(mu, sigma, d.low, d.high);
  const TunedOption& o = *d.option;
  if (o.integer) {
    const double v = tpe_external(o, x);
    const double a = std::max(d.low, tpe_internal(o, v - 0.5)),
                 b = std::min(d.high, tpe_internal(o, v + 0.5));
    return log_mass(mu, sigma, a, b) - kept;
  }
  const double z = (x - mu) / sigma;
  return -std::log(sigma) - 0.5 * std::log(2 * kPi) - 0.5 * z * z - kept;
}

// A draw from kernel k of a range: a Gaussian (Box-Muller) redrawn until it falls inside
// [low, high] (every center lies inside and sigma is at most the width, so about a third of the
// draws or more are kept); a whole number rounded in the option's own scale.
double range_sample(const ParzenEstimator::Dimension& d, size_t k, Rng& rng) {
  double x = std::clamp(d.mu[k], d.low, d.high);
  for (int tries = 0; tries < 1000; ++tries) {
    const double r = std::sqrt(-2.0 * std::log(1.0 - rng.uniform()));
    const double y = d.mu[k] + d.sigma[k] * r * std::cos(2 * kPi * rng.uniform());
    if (y >= d.low && y <= d.high) {
      x = y;
      break;
    }
  }
  const TunedOption& o = *d.option;
  if (!o.integer) return x;
  return tpe_internal(o, std::clamp(std::round(tpe_external(o, x)), o.low, o.high));
}

size_t pick(const std::vector<double>& p, Rng& rng) {
  const double u = rng.uniform();
  double acc = 0;
  for (size_t i = 0; i < p.size(); ++i) {
    acc += p[i];
    if (u < acc) return i;
  }
  return p.size() - 1;
}

}  // namespace

double tpe_internal(const TunedOption& o, double value) {
  if (o.is_range()) return o.log_scale ? std::log(value) : value;
  for (size_t v = 0; v < o.values.size(); ++v)
    if (o.values[v] == value) return static_cast<double>(v);
  return -1;  // not one of the list's values: no kernel favours any
}

double tpe_external(const TunedOption& o, double x) {
  if (o.is_range()) return o.log_scale ? std::exp(x) : x;
  return o.values[static_cast<size_t>(x)];
}

ParzenEstimator parzen_estimator(const std::vector<TunedOption>& space,
                                 const std::vector<std::vector<double>>& observations,
                                 const std::vector<double>& weights) {
  ParzenEstimator p;
  const size_t n = observations.size();
  p.weight = weights;
  p.weight.push_back(kTpePriorWeight);
  double total = 0;
  for (double w : p.weight) total += w;
  for (double& w : p.weight) w /= total;
  for (size_t i = 0; i < space.size(); ++i) {
    const TunedOption& o = space[i];
    ParzenEstimator::Dimension d;
    d.option = &o;
    if (o.is_range()) {
      d.low = internal_low(o), d.high = internal_high(o);
      for (const auto& x : observations) d.mu.push_back(std::clamp(x[i], d.low, d.high));
      d.sigma = kernel_sigmas(d.mu, d.low, d.high);
      d.mu.push_back(0.5 * (d.low + d.high));  // the prior
      d.sigma.push_back(std::max(d.high - d.low, 1e-300));
    } else {
      const size_t k = o.values.size();
      for (const auto& x : observations) {
        std::vector<double> row(k, kTpePriorWeight / static_cast<double>(n + 1));
        if (x[i] >= 0) row[static_cast<size_t>(x[i])] += 1;
        double sum = 0;
        for (double v : row) sum += v;
        for (double& v : row) v /= sum;
        d.p.push_back(std::move(row));
      }
      d.p.emplace_back(k, 1.0 / static_cast<double>(k));  // the prior
    }
    p.dims.push_back(std::move(d));
  }
  return p;
}

double ParzenEstimator::log_pdf(const std::vector<double>& x) const {
  std::vector<double> terms(weight.size());
  for (size_t k = 0; k < weight.size(); ++k) {
    double t = std::log(weight[k]);
    for (size_t i = 0; i < dims.size(); ++i) {
      const Dimension& d = dims[i];
      if (d.option->is_range()) {
        if (d.high > d.low) t += range_log_pdf(d, k, x[i]);
      } else {
        t += std::log(d.p[k][static_cast<size_t>(x[i])]);
      }
    }
    terms[k] = t;
  }
  return log_sum_exp(terms);
}

std::vector<double> ParzenEstimator::sample(Rng& rng) const {
  const size_t k = pick(weight, rng);
  std::vector<double> x;
  for (const Dimension& d : dims) {
    if (!d.option->is_range())
      x.push_back(static_cast<double>(pick(d.p[k], rng)));
    else
      x.push_back(d.high > d.low ? range_sample(d, k, rng) : d.low);
  }
  return x;
}

namespace {

// TPE's own stream of the seed (random search's and the tuning rows' are in tuning.cpp), plus the
// trial's number.
constexpr std::uint64_t kTpeStream = 0x7470'6500'0000'0000;  // "tpe"

// The points (internal space) and observation weights of "below" and "above".
struct RankedHistory {
  std::vector<std::vector<double>> below, above;
  std::vector<double> w_below, w_above;
};

std::vector<double> internal_point(const std::vector<TunedOption>& space, const Configuration& c) {
  std::vector<double> x;
  for (size_t i = 0; i < space.size(); ++i) x.push_back(tpe_internal(space[i], c[i]));
  return x;
}

// The best gamma(n) of the n finished trials below, the rest above, each oldest first; then the
// running ones (`pending`, newer than any finished) above, as Optuna's constant liar puts them.
RankedHistory rank_history(const std::vector<TunedOption>& space,
                           const std::vector<TrialResult>& history,
                           const std::vector<Configuration>& pending, bool minimise) {
  // Best first; no score (diverged) is the worst; ties by trial number.
  std::vector<const TrialResult*> ranked;
  for (const TrialResult& r : history) ranked.push_back(&r);
  auto better = [minimise](double a, double b) {
    if (!std::isfinite(a)) return false;
    if (!std::isfinite(b)) return true;
    return minimise ? a < b : a > b;
  };
  std::sort(ranked.begin(), ranked.end(), [&](const TrialResult* a, const TrialResult* b) {
    if (better(a->score, b->score)) return true;
    if (better(b->score, a->score)) return false;
    return a->trial < b->trial;
  });
  const size_t n = ranked.size();
  const size_t n_below =
      std::min(kTpeGammaCap, static_cast<size_t>(std::ceil(0.1 * static_cast<double>(n))));
  std::vector<const TrialResult*> below(ranked.begin(),
                                        ranked.begin() + static_cast<std::ptrdiff_t>(n_below)),
      above(ranked.begin() + static_cast<std::ptrdiff_t>(n_below), ranked.end());
  auto by_trial = [](const TrialResult* a, const TrialResult* b) { return a->trial < b->trial; };
  std::sort(below.begin(), below.end(), by_trial);
  std::sort(above.begin(), above.end(), by_trial);
  RankedHistory h;
  for (const TrialResult* r : below) h.below.push_back(internal_point(space, r->values));
  for (const TrialResult* r : above) h.above.push_back(internal_point(space, r->values));
  for (const Configuration& c : pending) h.above.push_back(internal_point(space, c));
  h.w_below = tpe_weights(h.below.size());
  h.w_above = tpe_weights(h.above.size());
  return h;
}

// Each option on its own (univariate, as Optuna 4's default; Optuna 5's joint "multivariate"
// kernels did no better on the benchmark, docs/experiments.md): its Parzen estimators
// for l and g, and the best of kTpeCandidates draws from l by log l(x) - log g(x) (the first on a
// tie), each option drawing from its own stream.
Configuration propose_one(const std::vector<TunedOption>& space, std::uint64_t seed, size_t trial,
                          const std::vector<TrialResult>& history,
                          const std::vector<Configuration>& pending, bool minimise) {
  const RankedHistory h = rank_history(space, history, pending, minimise);
  auto option_of = [](const std::vector<std::vector<double>>& points, size_t i) {
    std::vector<std::vector<double>> out;
    for (const auto& x : points) out.push_back({x[i]});
    return out;
  };
  Configuration c;
  for (size_t i = 0; i < space.size(); ++i) {
    const TunedOption& o = space[i];
    const std::vector<TunedOption> one = {o};
    const ParzenEstimator l = parzen_estimator(one, option_of(h.below, i), h.w_below);
    const ParzenEstimator g = parzen_estimator(one, option_of(h.above, i), h.w_above);
    Rng rng(seed ^ (i * 0x9e37'79b9'7f4a'7c15ULL), kTpeStream + trial);
    std::vector<double> best;
    double best_gain = -INFINITY;
    for (size_t draw = 0; draw < kTpeCandidates; ++draw) {
      std::vector<double> x = l.sample(rng);
      const double gain = l.log_pdf(x) - g.log_pdf(x);
      if (best.empty() || gain > best_gain) best_gain = gain, best = std::move(x);
    }
    double v = tpe_external(o, best[0]);
    if (o.is_range()) {
      if (o.integer) v = std::round(v);
      v = std::clamp(v, o.low, o.high);
    }
    c.push_back(v);
  }
  return c;
}

}  // namespace

Configuration tpe_configuration(const std::vector<TunedOption>& space, std::uint64_t seed,
                                size_t trial, const std::vector<TrialResult>& history,
                                bool minimise) {
  if (trial < kTpeStartupTrials || history.empty()) return random_configuration(space, seed, trial);
  // The batch's earlier trials, proposed again from the same history, each lying about the ones
  // before it in turn: what this proposal takes for running.
  std::vector<Configuration> pending;
  for (size_t u = std::min(tpe_history_end(trial), trial); u < trial; ++u)
    pending.push_back(propose_one(space, seed, u, history, pending, minimise));
  return propose_one(space, seed, trial, history, pending, minimise);
}

}  // namespace collab
