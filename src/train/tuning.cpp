#include "train/tuning.h"

#include <fcntl.h>
#include <unistd.h>

#include <algorithm>
#include <atomic>
#include <cerrno>
#include <chrono>
#include <cmath>
#include <condition_variable>
#include <cstdio>
#include <exception>
#include <fstream>
#include <mutex>
#include <nlohmann/json.hpp>
#include <optional>
#include <sstream>
#include <thread>

#include "support/error.h"
#include "support/random.h"

namespace collab {
namespace {

// Rng streams of their own, apart from the split's (1), the weights' (2) and the batches' (3):
// the tuning rows, and random search's draws (this plus the trial's number).
constexpr std::uint64_t kTuneRowsStream = 0x74756e65;  // "tune"
constexpr std::uint64_t kRandomSearchStream = 0x7472'6961'6c00'0000;
constexpr std::uint64_t kTpeStream = 0x7470'6500'0000'0000;  // "tpe", plus the trial's number

struct OptionRule {
  const char* name;
  bool integer, log_by_default;
  double low, high;  // the values the option takes (as train's validators say)
  bool low_open;     // low itself excluded (lr > 0)
};
const std::vector<OptionRule>& rules() {
  static const std::vector<OptionRule> r = {
      {"lr", false, true, 0, 1e9, true},         {"wd", false, true, 0, 1e9, false},
      {"factors", true, false, 1, 4096, false},  {"epochs", true, false, 1, 1000000, false},
      {"bs", true, false, 1, 1 << 24, false},
  };
  return r;
}

double parse_value(const std::string& text, const std::string& spec) {
  try {
    size_t used = 0;
    const double v = std::stod(text, &used);
    if (used == text.size() && std::isfinite(v)) return v;
  } catch (const std::exception&) {
  }
  throw usage_error("--space " + spec + ": '" + text + "' is not a number");
}

}  // namespace

const std::vector<std::string>& tunable_option_names() {
  static const std::vector<std::string> names = [] {
    std::vector<std::string> n;
    for (const OptionRule& r : rules()) n.push_back(r.name);
    return n;
  }();
  return names;
}

TunedOption parse_tuned_option(const std::string& spec) {
  const size_t eq = spec.find('=');
  if (eq == std::string::npos)
    throw usage_error("--space '" + spec + "': expected NAME=a,b,c or NAME=lo..hi[:log|:lin], e.g. lr=1e-4..1e-1");
  TunedOption o;
  o.name = spec.substr(0, eq);
  const OptionRule* rule = nullptr;
  for (const OptionRule& r : rules())
    if (o.name == r.name) rule = &r;
  if (!rule) {
    std::string known;
    for (const std::string& n : tunable_option_names()) known += (known.empty() ? "" : ", ") + n;
    throw usage_error("--space " + spec + ": '" + o.name + "' cannot be tuned (tunable: " + known + ")");
  }
  o.integer = rule->integer;
  o.log_scale = rule->log_by_default;
  std::string body = spec.substr(eq + 1);
  bool scale_given = false;
  if (const size_t colon = body.rfind(':'); colon != std::string::npos) {
    const std::string scale = body.substr(colon + 1);
    if (scale != "log" && scale != "lin") throw usage_error("--space " + spec + ": scale '" + scale + "' is not log or lin");
    o.log_scale = scale == "log";
    scale_given = true;
    body = body.substr(0, colon);
  }
  auto check = [&](double v) {
    if (v < rule->low || (rule->low_open && v == rule->low) || v > rule->high)
      throw usage_error("--space " + spec + ": " + o.name + " " + (rule->low_open ? "must be above " : "must be at least ") +
                        value_text(o, rule->low) + " and at most " + value_text(o, rule->high));
    if (o.integer && v != std::floor(v)) throw usage_error("--space " + spec + ": " + o.name + " takes whole numbers");
  };
  if (const size_t dots = body.find(".."); dots != std::string::npos) {
    o.low = parse_value(body.substr(0, dots), spec);
    o.high = parse_value(body.substr(dots + 2), spec);
    check(o.low);
    check(o.high);
    if (o.low > o.high) throw usage_error("--space " + spec + ": the range's low end is above its high end");
    if (o.log_scale && o.low <= 0)
      throw usage_error("--space " + spec + ": a log range must stay above 0 (add :lin for a linear one)");
    return o;
  }
  if (scale_given) throw usage_error("--space " + spec + ": :log and :lin apply to ranges lo..hi, not to lists");
  std::stringstream in(body);
  std::string part;
  while (std::getline(in, part, ',')) {
    o.values.push_back(parse_value(part, spec));
    check(o.values.back());
  }
  if (o.values.empty() || body.back() == ',')
    throw usage_error("--space " + spec + ": expected a list a,b,c or a range lo..hi");
  return o;
}

void apply_configuration(const std::vector<TunedOption>& space, const Configuration& values, TrainOptions& t) {
  for (size_t i = 0; i < space.size(); ++i) {
    const std::string& n = space[i].name;
    const double v = values.at(i);
    if (n == "lr") t.lr = v;
    else if (n == "wd") t.wd = v;
    else if (n == "factors") t.factors = static_cast<int>(v);
    else if (n == "epochs") t.epochs = static_cast<int>(v);
    else if (n == "bs") t.batch_size = static_cast<int>(v);
    else throw internal_error("apply_configuration: unknown option " + n);
  }
}

std::string value_text(const TunedOption& option, double value) {
  if (option.integer) return std::to_string(static_cast<long long>(value));
  char text[32];
  std::snprintf(text, sizeof text, "%.4g", value);
  return text;
}

std::string metric_name(TuningMetric m) {
  switch (m) {
    case TuningMetric::rmse: return "rmse";
    case TuningMetric::mae: return "mae";
    case TuningMetric::ndcg: return "ndcg";
    case TuningMetric::precision: return "precision";
    case TuningMetric::recall: return "recall";
    case TuningMetric::map: return "map";
  }
  return "?";
}

bool minimised(TuningMetric m) { return m == TuningMetric::rmse || m == TuningMetric::mae; }

size_t grid_size(const std::vector<TunedOption>& space) {
  size_t n = 1;
  for (const TunedOption& o : space) {
    if (o.is_range())
      throw usage_error("--search grid: --space " + o.name + " is a range; grid search needs lists (a,b,c)");
    n *= o.values.size();
  }
  return n;
}

Configuration grid_configuration(const std::vector<TunedOption>& space, size_t trial) {
  Configuration c(space.size());
  // Mixed radix, the last option varying fastest.
  for (size_t i = space.size(); i-- > 0;) {
    c[i] = space[i].values[trial % space[i].values.size()];
    trial /= space[i].values.size();
  }
  return c;
}

Configuration random_configuration(const std::vector<TunedOption>& space, std::uint64_t seed, size_t trial) {
  Rng rng(seed, kRandomSearchStream + trial);
  Configuration c;
  for (const TunedOption& o : space) {
    if (!o.is_range()) {
      c.push_back(o.values[rng.below(o.values.size())]);
      continue;
    }
    // Whole numbers: a real drawn over [lo - 0.5, hi + 0.5] and rounded, so that each end is as
    // likely as its neighbours on a linear scale (Optuna rounds the same way).
    const double widen = o.integer ? 0.5 : 0.0;
    const double lo = o.low - widen, hi = o.high + widen;
    const double u = rng.uniform();
    double v = o.log_scale ? std::exp(std::log(lo) + u * (std::log(hi) - std::log(lo))) : lo + u * (hi - lo);
    if (o.integer) v = std::round(v);
    c.push_back(std::clamp(v, o.low, o.high));
  }
  return c;
}

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

Configuration tpe_configuration(const std::vector<TunedOption>& space, std::uint64_t seed,
                                size_t trial, const std::vector<TrialResult>& history,
                                bool minimise) {
  if (trial < kTpeStartupTrials || history.empty()) return random_configuration(space, seed, trial);
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
                                        ranked.begin() + static_cast<std::ptrdiff_t>(n_below));
  std::vector<const TrialResult*> above(ranked.begin() + static_cast<std::ptrdiff_t>(n_below),
                                        ranked.end());
  // Oldest first, for the weights.
  auto by_trial = [](const TrialResult* a, const TrialResult* b) { return a->trial < b->trial; };
  std::sort(below.begin(), below.end(), by_trial);
  std::sort(above.begin(), above.end(), by_trial);
  const std::vector<double> w_below = tpe_weights(below.size()),
                            w_above = tpe_weights(above.size());

  Rng rng(seed, kTpeStream + trial);
  Configuration c;
  for (size_t i = 0; i < space.size(); ++i) {
    const TunedOption& o = space[i];
    if (!o.is_range()) {
      // Categorical: each value's weight of observations plus the prior's weight spread evenly.
      const size_t k = o.values.size();
      auto probabilities = [&](const std::vector<const TrialResult*>& set,
                               const std::vector<double>& w) {
        std::vector<double> p(k, kTpePriorWeight / static_cast<double>(k));
        for (size_t j = 0; j < set.size(); ++j)
          for (size_t v = 0; v < k; ++v)
            if (set[j]->values[i] == o.values[v]) p[v] += w[j];
        double total = 0;
        for (double x : p) total += x;
        for (double& x : p) x /= total;
        return p;
      };
      const std::vector<double> l = probabilities(below, w_below),
                                g = probabilities(above, w_above);
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
      c.push_back(o.values[best]);
      continue;
    }
    if (o.low == o.high) {
      c.push_back(o.low);
      continue;
    }
    // The internal space random search draws in: whole numbers widened by 0.5, log where asked.
    const double widen = o.integer ? 0.5 : 0.0;
    auto inward = [&](double v) { return o.log_scale ? std::log(v) : v; };
    const double lo = inward(o.low - widen), hi = inward(o.high + widen);
    auto observed = [&](const std::vector<const TrialResult*>& set) {
      std::vector<double> x;
      for (const TrialResult* r : set) x.push_back(std::clamp(inward(r->values[i]), lo, hi));
      return x;
    };
    const ParzenEstimator l = parzen_estimator(observed(below), w_below, lo, hi);
    const ParzenEstimator g = parzen_estimator(observed(above), w_above, lo, hi);
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
    c.push_back(std::clamp(v, o.low, o.high));
  }
  return c;
}

TrainValidSplit carve_tuning_split(const RatingSet& part, double tune_pct, std::uint64_t seed) {
  const size_t n = part.size();
  std::vector<std::int32_t> order(n);
  for (size_t i = 0; i < n; ++i) order[i] = static_cast<std::int32_t>(i);
  Rng rng(seed, kTuneRowsStream);
  rng.shuffle(order);
  const size_t n_valid = static_cast<size_t>(std::floor(tune_pct * static_cast<double>(n)));
  TrainValidSplit s;
  s.valid_rows.assign(order.begin(), order.begin() + static_cast<std::ptrdiff_t>(n_valid));
  s.train_rows.assign(order.begin() + static_cast<std::ptrdiff_t>(n_valid), order.end());
  std::sort(s.train_rows.begin(), s.train_rows.end());  // the training part's own order
  auto take = [&part](const std::vector<std::int32_t>& rows, RatingSet& out) {
    for (std::int32_t r : rows) {
      out.user.push_back(part.user[r]);
      out.item.push_back(part.item[r]);
      out.rating.push_back(part.rating[r]);
    }
  };
  take(s.train_rows, s.train);
  take(s.valid_rows, s.valid);
  return s;
}

int best_trial(const std::vector<TrialResult>& results, bool minimise) {
  int best = -1;
  for (size_t i = 0; i < results.size(); ++i) {
    const double s = results[i].score;
    if (!std::isfinite(s)) continue;
    if (best < 0 || (minimise ? s < results[best].score : s > results[best].score)) best = static_cast<int>(i);
  }
  return best;
}

std::vector<TrialResult> run_search(const std::vector<TunedOption>& space, const SearchSettings& settings,
                                    const std::vector<TrialResult>& done, const SearchCallbacks& cb) {
  const size_t n = settings.kind == SearchKind::grid ? std::min<size_t>(settings.trials, grid_size(space))
                                                     : static_cast<size_t>(settings.trials);
  std::vector<std::optional<TrialResult>> results(n);
  for (const TrialResult& r : done)
    if (r.trial >= 0 && static_cast<size_t>(r.trial) < n) results[r.trial] = r;
  const auto started = std::chrono::steady_clock::now();
  std::mutex lock;
  std::condition_variable finished;  // TPE: a proposal waits for the trials it sees
  size_t next = 0, next_ordered = 0;
  bool stop = false, started_one = false;  // the budget never stops the first trial
  std::exception_ptr failure;

  auto flush_ordered = [&] {  // under the lock
    while (next_ordered < n && results[next_ordered]) cb.on_ordered(*results[next_ordered++]);
  };
  auto worker = [&] {
    for (;;) {
      size_t trial;
      {
        std::lock_guard<std::mutex> g(lock);
        flush_ordered();
        while (next < n && results[next]) ++next;
        const double elapsed = std::chrono::duration<double>(std::chrono::steady_clock::now() - started).count();
        if (stop || next >= n || (settings.time_budget_s > 0 && started_one && elapsed >= settings.time_budget_s)) return;
        if (cb.should_stop && cb.should_stop()) {
          stop = true;
          return;
        }
        trial = next++;
        started_one = true;
      }
      Configuration values;
      if (settings.kind == SearchKind::grid) {
        values = grid_configuration(space, trial);
      } else if (settings.kind == SearchKind::random || trial < kTpeStartupTrials) {
        values = random_configuration(space, settings.seed, trial);
      } else {
        // Every trial below the batch's start was handed out before this one, so each is running
        // or done (resumed ones are done): waiting for them cannot deadlock.
        const size_t end = tpe_history_end(trial);
        std::vector<TrialResult> history;
        {
          std::unique_lock<std::mutex> g(lock);
          finished.wait(g, [&] {
            if (failure) return true;
            for (size_t u = 0; u < end; ++u)
              if (!results[u]) return false;
            return true;
          });
          if (failure) return;
          for (size_t u = 0; u < end; ++u) history.push_back(*results[u]);
        }
        values = tpe_configuration(space, settings.seed, trial, history, settings.minimise);
      }
      try {
        TrialResult r = cb.run_trial(static_cast<int>(trial), values);
        std::lock_guard<std::mutex> g(lock);
        if (cb.on_finished) cb.on_finished(r);
        results[trial] = std::move(r);
        finished.notify_all();
      } catch (...) {
        std::lock_guard<std::mutex> g(lock);
        if (!failure) failure = std::current_exception();
        stop = true;
        finished.notify_all();
        return;
      }
    }
  };
  const int jobs = std::max(1, settings.jobs);
  if (jobs == 1) {
    worker();
  } else {
    std::vector<std::thread> threads;
    for (int j = 0; j < jobs; ++j) threads.emplace_back(worker);
    for (std::thread& t : threads) t.join();
  }
  if (failure) std::rethrow_exception(failure);
  // Trials a time budget left unrun leave gaps: the rest are still reported in order.
  std::vector<TrialResult> out;
  for (size_t i = 0; i < n; ++i) {
    if (!results[i]) continue;
    if (i >= next_ordered) cb.on_ordered(*results[i]);
    out.push_back(*results[i]);
  }
  return out;
}

std::string journal_line(const std::vector<TunedOption>& space, const std::string& search, const TrialResult& r) {
  nlohmann::json j = {{"search", search}, {"trial", r.trial}};
  for (size_t i = 0; i < space.size(); ++i) j[space[i].name] = r.values[i];
  j["score"] = std::isfinite(r.score) ? nlohmann::json(r.score) : nlohmann::json(nullptr);
  j["epochs"] = r.epochs;
  j["pruned"] = r.pruned;
  j["seconds"] = r.seconds;
  j["train_rows"] = r.train_rows;
  j["tune_rows"] = r.tune_rows;
  return j.dump();
}

std::vector<TrialResult> read_journal(const std::string& path, const std::vector<TunedOption>& space,
                                      const std::string& search) {
  std::ifstream in(path, std::ios::binary);
  if (!in) return {};
  std::stringstream whole;
  whole << in.rdbuf();
  const std::string text = whole.str();
  std::vector<TrialResult> out;
  size_t start = 0;
  for (int line = 1; start < text.size(); ++line) {
    const size_t end = text.find('\n', start);
    if (end == std::string::npos) {
      std::fprintf(stderr, "collab: note: %s line %d has no end (a run stopped while writing it): skipped; "
                   "that trial runs again\n", path.c_str(), line);
      break;
    }
    const std::string row = text.substr(start, end - start);
    start = end + 1;
    const std::string where = path + " line " + std::to_string(line);
    nlohmann::json j;
    try {
      j = nlohmann::json::parse(row);
    } catch (const std::exception&) {
      throw data_error(where + ": not a JSON line of a tune journal");
    }
    if (!j.is_object() || !j.contains("search") || !j["search"].is_string())
      throw data_error(where + ": not a trial of a tune journal (no 'search')");
    if (j["search"].get<std::string>() != search)
      throw data_error(where + ": a trial of another search (its data, split, --space, --search, --seed, --metric, "
                       "--k, --tune-pct or a fixed training option differ); use another --journal");
    try {
      TrialResult r;
      r.trial = j.at("trial").get<int>();
      for (const TunedOption& o : space) r.values.push_back(j.at(o.name).get<double>());
      r.score = j.at("score").is_null() ? std::nan("") : j.at("score").get<double>();
      r.epochs = j.at("epochs").get<int>();
      r.pruned = j.at("pruned").get<bool>();
      r.seconds = j.at("seconds").get<double>();
      r.train_rows = j.at("train_rows").get<size_t>();
      r.tune_rows = j.at("tune_rows").get<size_t>();
      r.resumed = true;
      out.push_back(std::move(r));
    } catch (const nlohmann::json::exception&) {
      throw data_error(where + ": a trial with a missing or mistyped field");
    }
  }
  return out;
}

void append_journal(const std::string& path, const std::string& line) {
  const int fd = ::open(path.c_str(), O_WRONLY | O_CREAT | O_APPEND | O_CLOEXEC, 0644);
  if (fd < 0) throw cannot_write("--journal " + path + ": cannot open it for appending");
  const std::string data = line + "\n";
  size_t written = 0;
  while (written < data.size()) {
    const ssize_t w = ::write(fd, data.data() + written, data.size() - written);
    if (w < 0 && errno == EINTR) continue;
    if (w <= 0) {
      ::close(fd);
      throw cannot_write("--journal " + path + ": cannot write to it");
    }
    written += static_cast<size_t>(w);
  }
  const bool synced = ::fsync(fd) == 0;
  ::close(fd);
  if (!synced) throw cannot_write("--journal " + path + ": cannot flush it to disk");
}

}  // namespace collab
