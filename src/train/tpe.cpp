// TPE's proposals (train/tuning.h): the observation weights, the Parzen estimators and the
// choice of each tuned option's next value.
#include "train/tuning.h"

#include <algorithm>
#include <cmath>
#include <cstdint>

#include "support/random.h"

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
}  // namespace

ParzenEstimator parzen_estimator(const std::vector<double>& observations,
                                 const std::vector<double>& weights, double low, double high) {
  ParzenEstimator p;
  p.low = low;
  p.high = high;
  const double width = high - low;
  p.mu = observations;
  p.mu.push_back(0.5 * (low + high));  // the prior, last
  p.weight = weights;
  p.weight.push_back(kTpePriorWeight);
  const size_t n = p.mu.size();
  // Each component's sigma: the larger gap to its neighbours among the sorted centers, the
  // range's ends bounding the outermost; the prior's is the whole width.
  std::vector<size_t> order(n);
  for (size_t i = 0; i < n; ++i) order[i] = i;
  std::stable_sort(order.begin(), order.end(),
                   [&](size_t a, size_t b) { return p.mu[a] < p.mu[b]; });
  p.sigma.assign(n, width);
  for (size_t k = 0; k < n; ++k) {
    const double left = k == 0 ? low : p.mu[order[k - 1]];
    const double right = k + 1 == n ? high : p.mu[order[k + 1]];
    const double here = p.mu[order[k]];
    p.sigma[order[k]] = std::max(here - left, right - here);
  }
  const double min_sigma = width / std::min(100.0, 1.0 + static_cast<double>(n));
  for (double& s : p.sigma) s = std::clamp(s, min_sigma, width);
  p.sigma.back() = width;
  double total = 0;
  for (double w : p.weight) total += w;
  for (double& w : p.weight) w /= total;
  return p;
}

double ParzenEstimator::log_pdf(double x) const {
  std::vector<double> terms(mu.size());
  for (size_t i = 0; i < mu.size(); ++i) {
    const double z = (x - mu[i]) / sigma[i];
    // Truncated to [low, high]: divided by the mass the Gaussian keeps there.
    const double mass =
        normal_cdf((high - mu[i]) / sigma[i]) - normal_cdf((low - mu[i]) / sigma[i]);
    terms[i] = std::log(weight[i]) - std::log(sigma[i]) - 0.5 * std::log(2 * kPi) - 0.5 * z * z -
               std::log(std::max(mass, 1e-300));
  }
  return log_sum_exp(terms);
}

double ParzenEstimator::sample(Rng& rng) const {
  // A component by its weight, then a Gaussian draw (Box-Muller) redrawn until it falls inside
  // [low, high]: every center lies inside and sigma is at most the width, so about a third of
  // the draws or more are kept.
  double u = rng.uniform(), acc = 0;
  size_t c = mu.size() - 1;
  for (size_t i = 0; i < mu.size(); ++i) {
    acc += weight[i];
    if (u < acc) {
      c = i;
      break;
    }
  }
  for (int tries = 0; tries < 1000; ++tries) {
    const double r = std::sqrt(-2.0 * std::log(1.0 - rng.uniform()));
    const double x = mu[c] + sigma[c] * r * std::cos(2 * kPi * rng.uniform());
    if (x >= low && x <= high) return x;
  }
  return std::clamp(mu[c], low, high);
}

namespace {

// TPE's own stream of the seed (random search's and the tuning rows' are in tuning.cpp), plus the
// trial's number.
constexpr std::uint64_t kTpeStream = 0x7470'6500'0000'0000;  // "tpe"

// The trials a proposal sees, split by score: the best gamma(n) ("below", l) and the rest
// ("above", g), each oldest first with its observation weights.
struct RankedHistory {
  std::vector<const TrialResult*> below, above;
  std::vector<double> w_below, w_above;
};

RankedHistory rank_history(const std::vector<TrialResult>& history, bool minimise) {
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
  RankedHistory h;
  h.below.assign(ranked.begin(), ranked.begin() + static_cast<std::ptrdiff_t>(n_below));
  h.above.assign(ranked.begin() + static_cast<std::ptrdiff_t>(n_below), ranked.end());
  // Oldest first, for the weights.
  auto by_trial = [](const TrialResult* a, const TrialResult* b) { return a->trial < b->trial; };
  std::sort(h.below.begin(), h.below.end(), by_trial);
  std::sort(h.above.begin(), h.above.end(), by_trial);
  h.w_below = tpe_weights(h.below.size());
  h.w_above = tpe_weights(h.above.size());
  return h;
}

// A list's value (option `i` of the space): each value's weight of observations plus the
// prior's weight spread evenly, for l and for g; the best of kTpeCandidates draws from l.
double categorical_proposal(const TunedOption& o, size_t i, const RankedHistory& h, Rng& rng) {
  const size_t k = o.values.size();
  auto probabilities = [&](const std::vector<const TrialResult*>& set, const std::vector<double>& w) {
    std::vector<double> p(k, kTpePriorWeight / static_cast<double>(k));
    for (size_t j = 0; j < set.size(); ++j)
      for (size_t v = 0; v < k; ++v)
        if (set[j]->values[i] == o.values[v]) p[v] += w[j];
    double total = 0;
    for (double x : p) total += x;
    for (double& x : p) x /= total;
    return p;
  };
  const std::vector<double> l = probabilities(h.below, h.w_below), g = probabilities(h.above, h.w_above);
  size_t best = 0;
  double best_gain = -INFINITY;
  for (size_t draw = 0; draw < kTpeCandidates; ++draw) {
    double u = rng.uniform(), acc = 0;
    size_t v = k - 1;
    for (size_t j = 0; j < k; ++j) {
      acc += l[j];
      if (u < acc) {
        v = j;
        break;
      }
    }
    const double gain = std::log(l[v]) - std::log(g[v]);
    if (gain > best_gain) {
      best_gain = gain;
      best = v;
    }
  }
  return o.values[best];
}

// A range's value (option `i`): Parzen estimators for l and g in the internal space random
// search draws in (whole numbers widened by 0.5, log where asked); the best of kTpeCandidates
// draws from l, mapped back and rounded.
double range_proposal(const TunedOption& o, size_t i, const RankedHistory& h, Rng& rng) {
  if (o.low == o.high) return o.low;
  const double widen = o.integer ? 0.5 : 0.0;
  auto inward = [&](double v) { return o.log_scale ? std::log(v) : v; };
  const double lo = inward(o.low - widen), hi = inward(o.high + widen);
  auto observed = [&](const std::vector<const TrialResult*>& set) {
    std::vector<double> x;
    for (const TrialResult* r : set) x.push_back(std::clamp(inward(r->values[i]), lo, hi));
    return x;
  };
  const ParzenEstimator l = parzen_estimator(observed(h.below), h.w_below, lo, hi);
  const ParzenEstimator g = parzen_estimator(observed(h.above), h.w_above, lo, hi);
  double best = l.mu.back(), best_gain = -INFINITY;
  for (size_t draw = 0; draw < kTpeCandidates; ++draw) {
    const double x = l.sample(rng);
    const double gain = l.log_pdf(x) - g.log_pdf(x);
    if (gain > best_gain) {
      best_gain = gain;
      best = x;
    }
  }
  double v = o.log_scale ? std::exp(best) : best;
  if (o.integer) v = std::round(v);
  return std::clamp(v, o.low, o.high);
}

}  // namespace

Configuration tpe_configuration(const std::vector<TunedOption>& space, std::uint64_t seed,
                                size_t trial, const std::vector<TrialResult>& history,
                                bool minimise) {
  if (trial < kTpeStartupTrials || history.empty()) return random_configuration(space, seed, trial);
  const RankedHistory h = rank_history(history, minimise);
  Rng rng(seed, kTpeStream + trial);
  Configuration c;
  for (size_t i = 0; i < space.size(); ++i)
    c.push_back(space[i].is_range() ? range_proposal(space[i], i, h, rng) : categorical_proposal(space[i], i, h, rng));
  return c;
}

}  // namespace collab
