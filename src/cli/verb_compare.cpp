// `collab compare RUN...`: paired significance between runs scored on the same units, the folds
// of `collab cv --format json` or the users of `collab eval --per-user FILE`. The statistics are
// model/significance.h's; this file reads the runs, refuses what is not paired, and prints.
#include <cstdio>
#include <map>
#include <set>

#include "common_options.h"
#include "model/significance.h"
#include "output.h"
#include "support/error.h"
#include "support/files.h"
#include "verbs.h"

namespace collab::cli {
namespace {

struct CompareVerbOptions {
  std::vector<std::string> runs;
  std::string metric;  // empty: rmse for cv runs, ndcg for per-user rows
  std::uint64_t seed = 0;
  int bootstrap = 10000;
  std::string format;
};

enum class RunKind { cv, per_user };

// One run file: what it was scored on, and each unit's row (fold number or userId -> row).
struct Run {
  std::string path;
  RunKind kind = RunKind::cv;
  std::string fingerprint;
  std::string settings;           // per-user rows: their k and relevance threshold
  std::set<std::string> metrics;  // keys whose values are numbers or null
  std::map<std::int64_t, nlohmann::json> rows;
};

std::string kind_name(RunKind k) { return k == RunKind::cv ? "a cv run" : "eval --per-user rows"; }
std::string unit_name(RunKind k) { return k == RunKind::cv ? "fold" : "user"; }

std::string joined(const std::set<std::string>& names) {
  std::string out;
  for (const auto& n : names) out += (out.empty() ? "" : ", ") + n;
  return out;
}

// The rows of `collab cv --format json` (the mean and std rows skipped) or of eval --per-user.
Run read_run(const std::string& path) {
  const std::string text = read_input_file(path, "run file");
  Run run;
  run.path = path;
  bool first = true;
  size_t line_no = 0;
  for (size_t at = 0; at < text.size();) {
    const size_t end = std::min(text.find('\n', at), text.size());
    const std::string line = text.substr(at, end - at);
    at = end + 1;
    ++line_no;
    if (line.find_first_not_of(" \t\r") == std::string::npos) continue;
    const std::string where = path + " line " + std::to_string(line_no) + ": ";
    const nlohmann::json j = nlohmann::json::parse(line, nullptr, /*allow_exceptions=*/false);
    if (!j.is_object()) throw data_error(where + "not a JSON object");
    RunKind kind;
    std::string fingerprint_key, unit_key;
    std::set<std::string> not_metrics;
    if (j.contains("folds_fingerprint")) {
      kind = RunKind::cv, fingerprint_key = "folds_fingerprint", unit_key = "fold";
      not_metrics = {"fold", "folds_fingerprint", "fit_seconds", "eval_seconds"};
    } else if (j.contains("rows_fingerprint")) {
      kind = RunKind::per_user, fingerprint_key = "rows_fingerprint", unit_key = "userId";
      not_metrics = {"userId", "rows", "k", "relevant_rating", "rows_fingerprint"};
    } else {
      throw data_error(where +
                       "neither a row of collab cv --format json (no folds_fingerprint) nor of "
                       "collab eval --per-user (no rows_fingerprint)");
    }
    const std::string fingerprint =
        j[fingerprint_key].is_string() ? j[fingerprint_key].get<std::string>() : "";
    const std::string settings = kind == RunKind::per_user
                                     ? "k " + j.value("k", nlohmann::json()).dump() +
                                           ", relevant_rating " +
                                           j.value("relevant_rating", nlohmann::json()).dump()
                                     : "";
    if (first) {
      run.kind = kind, run.fingerprint = fingerprint, run.settings = settings;
      first = false;
    } else if (kind != run.kind || fingerprint != run.fingerprint || settings != run.settings) {
      throw data_error(
          where +
          "its fingerprint or settings differ from the file's first row (two runs in one file?)");
    }
    if (kind == RunKind::cv && j["fold"].is_string()) continue;  // the mean and std rows
    if (!j[unit_key].is_number_integer())
      throw data_error(where + "'" + unit_key + "' is not an integer");
    for (const auto& [key, value] : j.items())
      if (!not_metrics.count(key) && (value.is_number() || value.is_null()))
        run.metrics.insert(key);
    if (!run.rows.emplace(j[unit_key].get<std::int64_t>(), j).second)
      throw data_error(where + unit_name(kind) + " " + j[unit_key].dump() + " appears twice");
  }
  if (run.rows.empty()) throw data_error(path + ": no rows of a cv run or of eval --per-user");
  return run;
}

// Refuses (65) a run that is not paired with the first, saying what differs.
void require_paired(const Run& a, const Run& b) {
  const std::string pair = a.path + " and " + b.path + " are not paired: ";
  if (a.kind != b.kind)
    throw data_error(pair + a.path + " is " + kind_name(a.kind) + ", " + b.path + " " +
                     kind_name(b.kind));
  if (a.fingerprint != b.fingerprint)
    throw data_error(pair +
                     (a.kind == RunKind::cv
                          ? "their folds differ (give cv the same data, --folds and --seed)"
                          : "they were evaluated on other rows") +
                     ": fingerprint " + a.fingerprint + " vs " + b.fingerprint);
  if (a.settings != b.settings)
    throw data_error(pair + "they rank at other settings: " + a.settings + " vs " + b.settings);
  if (a.metrics != b.metrics)
    throw data_error(pair + "their metrics differ: " + joined(a.metrics) + " vs " +
                     joined(b.metrics));
}

// The units where `metric` has a value, with that value.
std::map<std::int64_t, double> values_of(const Run& run, const std::string& metric) {
  std::map<std::int64_t, double> out;
  for (const auto& [unit, row] : run.rows)
    if (row[metric].is_number()) out.emplace(unit, row[metric].get<double>());
  return out;
}

std::string p_text(double p) {
  char s[32];
  std::snprintf(s, sizeof s, "%.4g", p);
  return s;
}

// --metric, or the runs' usual one; a usage error when the runs do not have it.
std::string chosen_metric(const CompareVerbOptions& o, const Run& first) {
  const std::string metric = !o.metric.empty()          ? o.metric
                             : first.kind == RunKind::cv ? "rmse"
                                                        : "ndcg";
  if (!first.metrics.count(metric))
    throw usage_error("--metric: '" + metric + "' is not a metric of " + first.path + " (its metrics: " +
                      joined(first.metrics) + ")");
  return metric;
}

// Each run's metric by unit (fold or user); a data error when a unit is in one run and not in
// another, or when there are fewer than two units.
std::vector<std::map<std::int64_t, double>> paired_values(const std::vector<Run>& runs, const std::string& metric) {
  std::vector<std::map<std::int64_t, double>> values;
  for (const Run& r : runs) values.push_back(values_of(r, metric));
  for (size_t i = 1; i < runs.size(); ++i) {
    for (size_t side = 0; side < 2; ++side) {
      const auto& here = side == 0 ? values[0] : values[i];
      const auto& there = side == 0 ? values[i] : values[0];
      for (const auto& [unit, value] : here)
        if (!there.count(unit))
          throw data_error(runs[0].path + " and " + runs[i].path + " are not paired: " +
                           unit_name(runs[0].kind) + " " + std::to_string(unit) + " has " + metric +
                           " in " + (side == 0 ? runs[0].path : runs[i].path) + " only");
    }
  }
  if (values[0].size() < 2)
    throw data_error(runs[0].path + ": " + std::to_string(values[0].size()) + " " +
                     unit_name(runs[0].kind) + " with " + metric +
                     "; a paired test needs 2 or more");
  return values;
}

// Runs a and b compared, with the Holm-adjusted p-values of the whole family of pairs.
struct Pair {
  size_t a, b;
  PairedComparison c;
  double holm_t = 0, holm_w = 0;
};

std::vector<Pair> compare_every_pair(const std::vector<std::map<std::int64_t, double>>& values,
                                     const CompareVerbOptions& o) {
  std::vector<Pair> pairs;
  for (size_t a = 0; a < values.size(); ++a)
    for (size_t b = a + 1; b < values.size(); ++b) {
      std::vector<double> va, vb;
      for (const auto& [unit, value] : values[a])
        va.push_back(value), vb.push_back(values[b].at(unit));
      pairs.push_back({a, b, compare_paired(va, vb, static_cast<size_t>(o.bootstrap), o.seed)});
    }
  std::vector<double> p_t, p_w;
  for (const auto& p : pairs) p_t.push_back(p.c.t_test.p), p_w.push_back(p.c.wilcoxon.p);
  const std::vector<double> holm_t = holm_adjust(p_t), holm_w = holm_adjust(p_w);
  for (size_t i = 0; i < pairs.size(); ++i) pairs[i].holm_t = holm_t[i], pairs[i].holm_w = holm_w[i];
  return pairs;
}

void print_pairs_json(const std::vector<Pair>& pairs, const std::vector<Run>& runs, const std::string& metric) {
  for (const Pair& pair : pairs) {
    const PairedComparison& c = pair.c;
    print_json({{"a", runs[pair.a].path},
                {"b", runs[pair.b].path},
                {"metric", metric},
                {"n", c.n},
                {"mean_a", c.mean_a},
                {"mean_b", c.mean_b},
                {"mean_difference", c.mean_difference},
                {"ci_low", c.interval.low},
                {"ci_high", c.interval.high},
                {"t", c.t_test.t},
                {"p_ttest", c.t_test.p},
                {"wilcoxon_statistic", c.wilcoxon.statistic},
                {"wilcoxon_exact", c.wilcoxon.exact},
                {"p_wilcoxon", c.wilcoxon.p},
                {"p_ttest_holm", pair.holm_t},
                {"p_wilcoxon_holm", pair.holm_w}});
  }
}

void print_pairs_table(const std::vector<Pair>& pairs, const std::vector<Run>& runs, const std::string& metric,
                       const CompareVerbOptions& o) {
  std::vector<std::vector<std::string>> rows;
  for (const Pair& pair : pairs) {
    const PairedComparison& c = pair.c;
    rows.push_back({runs[pair.a].path, runs[pair.b].path, metric, std::to_string(c.n),
                    fixed(c.mean_a, 6), fixed(c.mean_b, 6), fixed(c.mean_difference, 6),
                    fixed(c.interval.low, 6), fixed(c.interval.high, 6), p_text(c.t_test.p),
                    p_text(c.wilcoxon.p) + (c.wilcoxon.exact || c.wilcoxon.n == 0 ? "" : "*"),
                    p_text(pair.holm_t), p_text(pair.holm_w)});
  }
  std::string out = format_table(
      {"a", "b", "metric", "n", "mean_a", "mean_b", "b-a", "ci95_low", "ci95_high", "p_ttest",
       "p_wilcoxon", "holm_ttest", "holm_wilcoxon"},
      rows, {false, false, false, true, true, true, true, true, true, true, true, true, true});
  print_line(out + "(b-a: mean difference; ci95: percentile bootstrap, " +
             std::to_string(o.bootstrap) + " resamples, seed " + std::to_string(o.seed) +
             "; * Wilcoxon by its normal approximation)");
}

void run_compare(const CompareVerbOptions& o) {
  if (o.runs.size() < 2) throw usage_error("compare needs two or more RUN files");
  std::vector<Run> runs;
  for (const auto& path : o.runs) runs.push_back(read_run(path));
  for (size_t i = 1; i < runs.size(); ++i) require_paired(runs[0], runs[i]);
  const std::string metric = chosen_metric(o, runs[0]);
  const std::vector<Pair> pairs = compare_every_pair(paired_values(runs, metric), o);
  if (o.format == "json") print_pairs_json(pairs, runs, metric);
  else print_pairs_table(pairs, runs, metric, o);
}

}  // namespace

void add_compare_verb(CLI::App& app) {
  auto o = std::make_shared<CompareVerbOptions>();
  const char* help =
      "Paired significance between runs scored on the same units: the JSON lines of\n"
      "collab cv --format json (its folds; the runs must share the folds' fingerprint: same data,\n"
      "--folds and --seed) or of collab eval --per-user FILE (its users; same rows, k and\n"
      "relevance). For each pair (a, b): the mean of b - a with a 95% percentile-bootstrap\n"
      "interval, the paired t-test's p, the Wilcoxon signed-rank test's p (scipy's default: zero\n"
      "differences dropped; exact for up to 50 differences without zeros or ties, else the normal\n"
      "approximation with the tie correction), both adjusted by Holm's step-down method across\n"
      "the pairs. Runs that are not paired are refused (65), saying what differs.";
  auto* verb = app.add_subcommand("compare", help);
  verb->add_option("runs", o->runs, "Two or more run files (JSON lines)")->required();
  verb->add_option("--metric", o->metric,
                   "The metric to compare (default: rmse for cv runs, ndcg for per-user rows)");
  add_seed_option(verb, o->seed, "Seed of the bootstrap's resampling (default 0)");
  verb->add_option("--bootstrap", o->bootstrap, "Bootstrap resamples for the interval")
      ->check(CLI::Range(1, 10000000))
      ->capture_default_str();
  add_format_option(verb, o->format, {"table", "json"});
  verb->callback([o] { run_compare(*o); });
}

}  // namespace collab::cli
