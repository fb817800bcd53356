// `collab tune`: hyperparameter search (train/tuning.h) wired to the pipeline. The verb's split
// names the test rows; trials train on the rest minus --tune-pct and are scored on that share;
// the best configuration is then retrained on the whole training part and scored once on the test
// rows.
#include <chrono>
#include <cmath>
#include <cstdio>
#include <mutex>
#include <set>

#include "model/evaluation.h"
#include "model/model_file.h"
#include "output.h"
#include "support/cores.h"
#include "support/error.h"
#include "support/files.h"
#include "support/hash.h"
#include "support/interrupt.h"
#include "train/tuning.h"
#include "training_options.h"
#include "tune_output.h"
#include "verbs.h"

namespace collab::cli {
namespace {

struct TuneVerbOptions {
  TrainingCommandOptions training;
  std::vector<std::string> space;
  SearchKind search = SearchKind::random;
  int trials = 20;
  double time_budget = 0;
  int jobs = 0;  // 0: the usable cores
  TuningMetric metric = TuningMetric::rmse;
  int k = 10;
  double tune_pct = 0.2;
  std::string model, journal, format;
};

// The metric of an evaluation; NaN where it does not apply (rating metrics of a ranking model).
double metric_of(const Evaluation& e, TuningMetric m) {
  switch (m) {
    case TuningMetric::rmse: return e.rating_metrics_apply ? e.rating.rmse : std::nan("");
    case TuningMetric::mae: return e.rating_metrics_apply ? e.rating.mae : std::nan("");
    case TuningMetric::ndcg: return e.ranking.ndcg;
    case TuningMetric::precision: return e.ranking.precision;
    case TuningMetric::recall: return e.ranking.recall;
    case TuningMetric::map: return e.ranking.map;
  }
  return std::nan("");
}

Evaluation evaluate_on(const SavedModel& model, const RatingSet& set, int k, int threads) {
  EvaluationRows rows;
  rows.user = set.user, rows.item = set.item, rows.rating = set.rating;
  EvaluationOptions eval;
  eval.k = k;
  eval.threads = threads;
  return evaluate(model, rows, eval);
}

// Everything that makes two runs the same search, so that a journal is resumed only by its own:
// the rows (data, filters, split), the space, the search, seed, metric and every fixed option.
// Not --trials, --time-budget or --jobs: a resumed search may run longer or on more cores.
std::string search_fingerprint(const TrainValidSplit& split, const std::vector<TunedOption>& space,
                               const TuneVerbOptions& o, const TrainingRequest& r) {
  Hasher f;
  auto value = [&f](auto v) { f.update(&v, sizeof v); };
  f.text(split_fingerprint(split));
  value(split.test_rows.size());
  for (const TunedOption& t : space) {
    f.text(t.name);
    f.column(t.values);
    value(t.low), value(t.high), value(t.log_scale);
  }
  value(o.search), value(o.metric), value(o.k), value(o.tune_pct);
  const TrainOptions& t = r.options;
  value(t.arch), value(t.epochs), value(t.lr), value(t.wd), value(t.batch_size), value(t.factors);
  value(t.y_low), value(t.y_high), value(t.seed), value(t.optimizer), value(t.init_std);
  f.column(t.layers);
  value(t.implicit), value(t.positive_rating), value(t.loss), value(t.negatives), value(t.alpha), value(t.cg_steps);
  value(t.reg_u), value(t.reg_i);
  f.text(filter_options_text(r.filters));
  f.text(r.engine);
  f.text(r.device);
  return hex_digest(f.digest());
}

// The tuned options, checked against each other and the fixed ones before anything loads.
struct TunedSpace {
  std::vector<TunedOption> options;
  std::set<std::string> names;
};

TunedSpace parse_space(const TuneVerbOptions& o, const CLI::App* verb, const TrainingRequest& request) {
  auto given = [verb](const std::string& name) { return verb->count(name) > 0; };
  if (given("--test-pct"))
    throw usage_error("--test-pct: tune's split (--split, --valid-pct, --valid-ratings) already names the test rows; "
                      "the rows trials are scored on come from --tune-pct");
  TunedSpace s;
  for (const std::string& spec : o.space) {
    s.options.push_back(parse_tuned_option(spec));
    const std::string& name = s.options.back().name;
    if (!s.names.insert(name).second) throw usage_error("--space " + spec + ": " + name + " is tuned twice");
    if (given("--" + name))
      throw usage_error("--space " + spec + ": --" + name + " is given too; tune it or fix it, not both");
  }
  if (s.options.empty()) throw usage_error("--space: give at least one, e.g. --space lr=1e-4..1e-1");
  if (o.search == SearchKind::grid) grid_size(s.options);  // a range is refused before anything loads
  if (!o.model.empty()) require_replaceable_output(o.model, "model");
  const bool ratings_model = !request.options.implicit && request.options.arch != Arch::popularity;
  if (!ratings_model && minimised(o.metric))
    throw usage_error("--metric " + metric_name(o.metric) + ": this model kind scores items rather than predicting "
                      "ratings; use ndcg, precision, recall or map");
  return s;
}

// The data set and its two splits: the verb's (test rows against the training part) and, inside
// the training part, the trials' (their training rows against the tuning rows that score them).
struct TuningRows {
  EncodedRatings data;
  TrainValidSplit outer, inner;
};

TuningRows load_tuning_rows(const TuneVerbOptions& o, const TrainingRequest& request) {
  TuningRows rows;
  FilterReport filtered;
  rows.data = load_filtered(request.source, request.filters, &filtered);
  SplitSpec spec = request.split;
  spec.seed = request.options.seed;
  rows.outer = split_ratings(rows.data, spec);
  report_filters_and_split(request.filters, filtered, spec, rows.outer);
  if (rows.outer.valid.size() == 0) throw data_error("the " + split_name(spec.kind) + " split leaves no test rows");
  rows.inner = carve_tuning_split(rows.outer.train, o.tune_pct, request.options.seed);
  const TrainValidSplit& inner = rows.inner;
  if (inner.valid.size() == 0 || inner.train.size() == 0)
    throw data_error("--tune-pct " + fixed(o.tune_pct, 3) + " of " + std::to_string(rows.outer.train.size()) +
                     " training ratings leaves no rows to " + (inner.valid.size() == 0 ? "score" : "train") + " trials on");
  std::fprintf(stderr, "collab: %zu ratings: %zu test, %zu training (trials train on %zu, scored on %zu)\n",
               rows.data.size(), rows.outer.valid.size(), rows.outer.train.size(), inner.train.size(), inner.valid.size());
  return rows;
}

// One search: the verb's options and rows, what every trial shares, and what it prints.
class TuneRun {
 public:
  TuneRun(const TuneVerbOptions& o, const CLI::App* verb, TrainingRequest request)
      : o_(o), request_(std::move(request)), space_(parse_space(o, verb, request_)),
        layers_follow_factors_(verb->count("--layers") == 0 && space_.names.count("factors")) {
    table_ = {&space_.options, metric_name(o.metric), minimised(o.metric), o.k, !space_.names.count("epochs"),
              o.format == "json"};
    const int jobs = o.jobs > 0 ? o.jobs : usable_cores();
    settings_.kind = o.search;
    settings_.trials = o.trials;
    settings_.time_budget_s = o.time_budget;
    settings_.jobs = jobs;
    settings_.seed = request_.options.seed;
    settings_.minimise = minimised(o.metric);
    // Each trial on one thread when several run at once; the results do not depend on it.
    trial_threads_ = verb->count("--threads") > 0 ? request_.options.threads : (jobs > 1 ? 1 : 0);
  }

  void run() {
    stop_at_safe_points();
    rows_ = load_tuning_rows(o_, request_);
    const std::string search = search_fingerprint(rows_.outer, space_.options, o_, request_);
    std::vector<TrialResult> done;
    if (!o_.journal.empty()) {
      done = read_journal(o_.journal, space_.options, search);
      if (!done.empty()) std::fprintf(stderr, "collab: %zu trials read from %s\n", done.size(), o_.journal.c_str());
    }
    // What trials share, read only: the vocabulary (a trial's model carries a copy) and its rows.
    vocabulary_only_.vocabulary = rows_.data.vocabulary;
    print_tune_header(table_);
    SearchCallbacks cb;
    cb.run_trial = [this](int trial, const Configuration& values) { return run_trial(trial, values); };
    if (!o_.journal.empty())
      cb.on_finished = [&](const TrialResult& r) { append_journal(o_.journal, journal_line(space_.options, search, r)); };
    cb.on_ordered = [this](const TrialResult& r) { print_tune_trial(table_, r); };
    cb.should_stop = [] { return stop_requested().load(); };
    const std::vector<TrialResult> results = run_search(space_.options, settings_, done, cb);
    if (stop_requested()) throw Interrupted();
    const int best_index = best_trial(results, settings_.minimise);
    if (best_index < 0) throw data_error("no trial finished with a score (every loss diverged): lower the --space lr range");
    retrain_best(results[best_index], results.size());
  }

 private:
  TrainingRequest configured(const Configuration& values) const {
    TrainingRequest r = request_;
    apply_configuration(space_.options, values, r.options);
    if (layers_follow_factors_) r.options.layers = {r.options.factors};
    return r;
  }

  TrialResult run_trial(int trial, const Configuration& values) const {
    const auto started = std::chrono::steady_clock::now();
    TrainingRequest r = configured(values);
    r.options.threads = trial_threads_;
    TrialResult result;
    result.trial = trial;
    result.values = values;
    result.epochs = r.options.epochs;
    result.train_rows = rows_.inner.train.size();
    result.tune_rows = rows_.inner.valid.size();
    FitHooks hooks;
    hooks.stop = &stop_requested();
    try {
      auto run = prepare_training_on(r, vocabulary_only_, rows_.inner);
      const SavedModel model = train_model(*run, r, hooks);
      result.score = metric_of(evaluate_on(model, rows_.inner.valid, o_.k, trial_threads_), o_.metric);
    } catch (const Interrupted&) {
      throw;
    } catch (const Error& e) {
      if (e.code() != ExitCode::data) throw;
      // A diverged loss (lr too high): the trial scores nothing, the search goes on.
      std::fprintf(stderr, "collab: trial %d: %s\n", trial, e.what());
      result.score = std::nan("");
    }
    result.seconds = std::chrono::duration<double>(std::chrono::steady_clock::now() - started).count();
    return result;
  }

  // The best configuration, retrained on the whole training part and scored once on the test rows.
  void retrain_best(const TrialResult& best, size_t trials) {
    TrainingRequest final_request = configured(best.values);
    const size_t train_rows = rows_.outer.train.size(), test_rows = rows_.outer.valid.size();
    auto run = prepare_training_on(final_request, std::move(rows_.data), std::move(rows_.outer));
    FitHooks hooks;
    hooks.stop = &stop_requested();
    const SavedModel model = train_model(*run, final_request, hooks);
    const Evaluation test = evaluate_on(model, run->split.valid, o_.k, request_.options.threads);
    print_tune_best(table_, {&best, trials, final_request.options.epochs, test, train_rows, test_rows});
    if (!o_.model.empty()) {
      StagedFile saved(o_.model, model_file_bytes(model));
      saved.commit();
      std::fprintf(stderr, "collab: saved the best configuration's model to %s\n", o_.model.c_str());
    }
  }

  const TuneVerbOptions& o_;
  const TrainingRequest request_;
  const TunedSpace space_;
  const bool layers_follow_factors_;
  TuneTable table_;
  SearchSettings settings_;
  int trial_threads_ = 0;
  TuningRows rows_;
  EncodedRatings vocabulary_only_;
};

}  // namespace

void add_tune_verb(CLI::App& app) {
  auto o = std::make_shared<TuneVerbOptions>();
  auto* verb = app.add_subcommand(
      "tune",
      "Hyperparameter search that never peeks at the test rows. The split (--split, --valid-pct,\n"
      "--valid-ratings) names the TEST rows; trials train on the training part minus --tune-pct of it\n"
      "(drawn by the seed) and are scored there by --metric; the best configuration is then retrained on\n"
      "the whole training part and scored once on the test rows. Every train option applies; the tuned\n"
      "ones are declared with --space, e.g.\n"
      "  collab tune --optimizer sparse-adam --space lr=1e-4..1e-1 --space wd=0.01,0.03,0.1 --space factors=8..256");
  verb->add_option("--space", o->space,
                   "A tuned option, repeatable: NAME=a,b,c (a list) or NAME=lo..hi[:log|:lin] (a range; log by "
                   "default for lr and wd, linear otherwise). NAME: lr, wd, factors, epochs, bs (the last three "
                   "whole numbers). A tuned option cannot also be given as --NAME")
      ->type_name("NAME=SPEC")->allow_extra_args(false);
  add_enum_option<SearchKind>(verb, "--search", o->search,
                              {{"grid", SearchKind::grid}, {"random", SearchKind::random}, {"tpe", SearchKind::tpe}},
                              "grid: every combination of the lists (the first --space varying slowest); random: "
                              "--trials draws, each from its own stream of the seed; tpe: Tree-structured Parzen "
                              "Estimator with Optuna's defaults (10 random trials first, then 24 candidates from the "
                              "best min(ceil(0.1 n), 25) trials' estimator), proposed in batches of 4 so that the "
                              "results do not depend on --jobs");
  verb->add_option("--trials", o->trials, "Trials to run (grid: at most the grid's size)")
      ->check(CLI::Range(1, 1000000))->capture_default_str();
  verb->add_option("--time-budget", o->time_budget,
                   "Seconds after which no new trial starts (0: no limit); the results then depend on the machine")
      ->check(finite_number(0, 1e9))->capture_default_str();
  verb->add_option("--jobs", o->jobs,
                   "Trials at once, each on one thread (0: the usable cores). Grid, random and tpe results "
                   "do not depend on it")
      ->check(CLI::Range(0, 1024))->capture_default_str();
  add_enum_option<TuningMetric>(verb, "--metric", o->metric,
                                {{"rmse", TuningMetric::rmse}, {"mae", TuningMetric::mae}, {"ndcg", TuningMetric::ndcg},
                                 {"precision", TuningMetric::precision}, {"recall", TuningMetric::recall},
                                 {"map", TuningMetric::map}},
                                "What scores a trial on its tuning rows: rmse and mae are minimised, the ranking "
                                "metrics at --k (as collab eval computes them) maximised");
  verb->add_option("--k", o->k, "Length of the ranked lists of the ranking metrics (as collab eval --k)")
      ->check(CLI::Range(1, 100000))->capture_default_str();
  verb->add_option("--tune-pct", o->tune_pct,
                   "Share of the training part that scores the trials (drawn by the seed); the rest trains them")
      ->check(finite_number(0.0, 0.99, /*above_lo=*/true))->capture_default_str();
  verb->add_option("--model", o->model,
                   "Save the best configuration's model, retrained on the whole training part (default: not saved); "
                   "collab eval --model FILE then scores it on the test rows");
  verb->add_option("--journal", o->journal,
                   "Append each finished trial to FILE as a JSON line (flushed and fsynced); the same command "
                   "with the same FILE skips the trials it holds; a journal of another search is refused (65)");
  add_epochs_and_lr(verb, o->training.train);
  add_training_options(verb, o->training);
  add_format_option(verb, o->format, {"table", "json"});
  verb->callback([o, verb] { TuneRun(*o, verb, training_request(verb, o->training)).run(); });
}

}  // namespace collab::cli
