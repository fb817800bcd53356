#include "train/tuning.h"

#include <algorithm>
#include <cmath>
#include <cstdio>
#include <exception>
#include <sstream>

#include "support/error.h"
#include "support/random.h"

namespace collab {
namespace {

// Rng streams of their own, apart from the split's (1), the weights' (2) and the batches' (3):
// the tuning rows, and random search's draws (this plus the trial's number); TPE's is in tpe.cpp.
constexpr std::uint64_t kTuneRowsStream = 0x74756e65;  // "tune"
constexpr std::uint64_t kRandomSearchStream = 0x7472'6961'6c00'0000;

struct OptionRule {
  const char* name;
  bool integer, log_by_default;
  double low, high;  // the values the option takes (as train's validators say)
  bool low_open;     // low itself excluded (lr > 0)
  std::vector<std::string> labels;  // a categorical option's names
};
const std::vector<OptionRule>& rules() {
  static const std::vector<OptionRule> r = {
      {"lr", false, true, 0, 1e9, true, {}},
      {"wd", false, true, 0, 1e9, false, {}},
      {"factors", true, false, 1, 4096, false, {}},
      {"epochs", true, false, 1, 1000000, false, {}},
      {"bs", true, false, 1, 1 << 24, false, {}},
      {"negatives", true, false, 1, 1000, false, {}},
      {"alpha", false, false, 0, 1e9, false, {}},
      {"arch", false, false, 0, 0, false, {"dot", "dot-range", "dot-bias", "nn", "popularity", "baseline"}},
      {"optimizer", false, false, 0, 0, false, {"adam", "sparse-adam", "als"}},
  };
  return r;
}

const OptionRule& rule_of(const std::string& name, const std::string& shown) {
  for (const OptionRule& r : rules())
    if (name == r.name) return r;
  std::string known;
  for (const std::string& n : tunable_option_names()) known += (known.empty() ? "" : ", ") + n;
  throw usage_error(shown + ": '" + name + "' cannot be tuned (tunable: " + known + ")");
}

double parse_value(const std::string& text, const std::string& shown) {
  try {
    size_t used = 0;
    const double v = std::stod(text, &used);
    if (used == text.size() && std::isfinite(v)) return v;
  } catch (const std::exception&) {
  }
  throw usage_error(shown + ": '" + text + "' is not a number");
}

std::vector<std::string> list_items(const std::string& body, const std::string& shown) {
  std::vector<std::string> items;
  std::stringstream in(body);
  std::string part;
  while (std::getline(in, part, ',')) items.push_back(part);
  if (items.empty() || body.back() == ',') throw usage_error(shown + ": expected a list a,b,c or a range lo..hi");
  return items;
}

// A categorical option's list: each name's index among the option's labels.
TunedOption categorical_option(TunedOption o, const std::string& body, const std::string& shown) {
  if (body.find("..") != std::string::npos || body.find(':') != std::string::npos)
    throw usage_error(shown + ": " + o.name + " takes a list of names a,b,c, not a range");
  for (const std::string& item : list_items(body, shown)) {
    const auto at = std::find(o.labels.begin(), o.labels.end(), item);
    if (at == o.labels.end()) throw usage_error(shown + ": '" + item + "' is not a " + o.name);
    o.values.push_back(static_cast<double>(at - o.labels.begin()));
  }
  return o;
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
  return parse_tuned_option(spec.substr(0, eq), spec.substr(eq + 1), "--space " + spec);
}

TunedOption parse_tuned_option(const std::string& name, const std::string& spec, const std::string& shown) {
  const OptionRule& rule = rule_of(name, shown);
  TunedOption o;
  o.name = name;
  o.integer = rule.integer;
  o.log_scale = rule.log_by_default;
  o.labels = rule.labels;
  if (o.categorical()) return categorical_option(o, spec, shown);
  std::string body = spec;
  bool scale_given = false;
  if (const size_t colon = body.rfind(':'); colon != std::string::npos) {
    const std::string scale = body.substr(colon + 1);
    if (scale != "log" && scale != "lin") throw usage_error(shown + ": scale '" + scale + "' is not log or lin");
    o.log_scale = scale == "log";
    scale_given = true;
    body = body.substr(0, colon);
  }
  auto check = [&](double v) {
    if (v < rule.low || (rule.low_open && v == rule.low) || v > rule.high)
      throw usage_error(shown + ": " + o.name + " " + (rule.low_open ? "must be above " : "must be at least ") +
                        value_text(o, rule.low) + " and at most " + value_text(o, rule.high));
    if (o.integer && v != std::floor(v)) throw usage_error(shown + ": " + o.name + " takes whole numbers");
  };
  if (const size_t dots = body.find(".."); dots != std::string::npos) {
    o.low = parse_value(body.substr(0, dots), shown);
    o.high = parse_value(body.substr(dots + 2), shown);
    check(o.low);
    check(o.high);
    if (o.low > o.high) throw usage_error(shown + ": the range's low end is above its high end");
    if (o.log_scale && o.low <= 0) throw usage_error(shown + ": a log range must stay above 0 (add :lin for a linear one)");
    return o;
  }
  if (scale_given) throw usage_error(shown + ": :log and :lin apply to ranges lo..hi, not to lists");
  for (const std::string& item : list_items(body, shown)) {
    o.values.push_back(parse_value(item, shown));
    check(o.values.back());
  }
  return o;
}

void apply_configuration(const std::vector<TunedOption>& space, const Configuration& values, TrainOptions& t) {
  for (size_t i = 0; i < space.size(); ++i) {
    const std::string& n = space[i].name;
    const double v = values.at(i);
    if (n == "lr") t.lr = v;
    else if (n == "wd") t.wd = v;
    else if (n == "factors") t.model.factors = static_cast<int>(v);
    else if (n == "epochs") t.epochs = static_cast<int>(v);
    else if (n == "bs") t.batch_size = static_cast<int>(v);
    else if (n == "negatives") t.negatives = static_cast<int>(v);
    else if (n == "alpha") t.alpha = v;
    else if (n == "arch") t.model.arch = parse_arch(space[i].labels.at(static_cast<size_t>(v)));
    else if (n == "optimizer") t.optimizer = parse_optimizer(space[i].labels.at(static_cast<size_t>(v)));
    else throw internal_error("apply_configuration: unknown option " + n);
  }
}

std::string value_text(const TunedOption& option, double value) {
  if (option.categorical()) return option.labels.at(static_cast<size_t>(value));
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
    if (!std::isfinite(s) || results[i].pruned) continue;
    if (best < 0 || (minimise ? s < results[best].score : s > results[best].score)) best = static_cast<int>(i);
  }
  return best;
}

}  // namespace collab
