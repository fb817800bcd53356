#include "tune_options.h"

#include <algorithm>

#include "cli/plot.h"
#include "support/error.h"
#include "support/files.h"
#include "support/hash.h"

namespace collab::cli {
namespace {

// The tunable options given as --NAME SPEC, in the order of the command line, each once.
std::vector<std::string> given_specs(const CLI::App* verb, const TuneVerbOptions& o) {
  std::vector<std::string> names;
  for (const CLI::Option* option : verb->parse_order()) {
    const std::string name = option->get_single_name();
    if (o.specs.count(name) && std::find(names.begin(), names.end(), name) == names.end()) names.push_back(name);
  }
  return names;
}

TunedOption given_option(const TuneVerbOptions& o, const std::string& name) {
  const std::string& spec = o.specs.at(name);
  return parse_tuned_option(name, spec, "--" + name + " " + spec);
}

void add_spec_options(CLI::App* verb, TuneVerbOptions& o) {
  for (const std::string& name : tunable_option_names()) {
    CLI::Option* train_option = verb->get_option_no_throw("--" + name);
    if (train_option == nullptr) throw internal_error("tune: no train option --" + name);
    const std::string description = train_option->get_description(), default_text = train_option->get_default_str();
    verb->remove_option(train_option);
    const bool categorical = name == "arch" || name == "optimizer";
    verb->add_option("--" + name, o.specs[name],
                     description + ". Tuned by a list a,b,c" + (categorical ? "" : " or a range lo..hi[:log|:lin]") +
                         "; one value fixes it")
        ->default_str(default_text)
        ->type_name(categorical ? "NAME[,NAME...]" : "SPEC");
  }
}

// Several processes: --nproc here, or torchrun's environment.
void add_rank_options(CLI::App* verb, TuneVerbOptions& o) {
  verb->add_option("--nproc", o.nproc,
                   "Run the search in N local processes (c10d) that take trials from one queue; rank 0 prints and "
                   "writes, a rank that is killed has its trials run again by the others. Under torchrun its "
                   "environment says how many. The results do not depend on it")
      ->check(CLI::Range(1, 256))->capture_default_str();
  verb->add_option("--dist-timeout", o.dist_timeout,
                   "Several processes: seconds a rank waits for the others to come, and that a rank may stay silent "
                   "before the others take it for dead and run its trials again (rank 0 silent: the search stops)")
      ->check(CLI::Range(1, 86400))->capture_default_str();
}

}  // namespace

void add_tune_options(CLI::App* verb, TuneVerbOptions& o) {
  add_spec_options(verb, o);
  verb->add_option("--space", o.space,
                   "Another way to tune an option, repeatable: NAME=SPEC is --NAME SPEC (NAME: lr, wd, factors, "
                   "epochs, bs, negatives, alpha, arch, optimizer). A tuned option cannot also be given as --NAME")
      ->type_name("NAME=SPEC")->allow_extra_args(false);
  add_enum_option<SearchKind>(verb, "--search", o.search,
                              {{"grid", SearchKind::grid}, {"random", SearchKind::random}, {"tpe", SearchKind::tpe}},
                              "grid: every combination of the lists (the first tuned option varying slowest); random: "
                              "--trials draws, each from its own stream of the seed; tpe: Tree-structured Parzen "
                              "Estimator with Optuna's defaults (10 random trials first, then 24 candidates from the "
                              "best min(ceil(0.1 n), 25) trials' estimator), proposed in batches of 4 so that the "
                              "results do not depend on --jobs");
  verb->add_option("--trials", o.trials, "Trials to run (grid: at most the grid's size)")
      ->check(CLI::Range(1, 1000000))->capture_default_str();
  verb->add_option("--time-budget", o.time_budget,
                   "Seconds after which no new trial starts (0: no limit); the results then depend on the machine")
      ->check(finite_number(0, 1e9))->capture_default_str();
  verb->add_option("--jobs", o.jobs,
                   "Trials at once, each on one thread (0: the usable cores, shared by the ranks on this machine). "
                   "Grid, random and tpe results do not depend on it")
      ->check(CLI::Range(0, 1024))->capture_default_str();
  add_rank_options(verb, o);
  add_enum_option<TuningMetric>(verb, "--metric", o.metric,
                                {{"rmse", TuningMetric::rmse}, {"mae", TuningMetric::mae}, {"ndcg", TuningMetric::ndcg},
                                 {"precision", TuningMetric::precision}, {"recall", TuningMetric::recall},
                                 {"map", TuningMetric::map}},
                                "What scores a trial on its tuning rows: rmse and mae are minimised, the ranking "
                                "metrics at --k (as collab eval computes them) maximised");
  verb->add_option("--k", o.k, "Length of the ranked lists of the ranking metrics (as collab eval --k)")
      ->check(CLI::Range(1, 100000))->capture_default_str();
  auto* tune_pct = verb->add_option("--tune-pct", o.tune_pct,
                                    "Share of the training part that scores the trials (drawn by the seed); the rest "
                                    "trains them")
                       ->check(finite_number(0.0, 0.99, /*above_lo=*/true))->capture_default_str();
  verb->add_option("--folds", o.folds,
                   "Score each trial by K-fold cross-validation of the training part instead of --tune-pct: the "
                   "mean of the metric over the K folds (default: not used)")
      ->check(CLI::Range(2, 100))->excludes(tune_pct);
  verb->add_flag("--prune", o.prune,
                 "Stop unpromising trials early (ASHA, eta 3): after epochs 1, 3, 9, ... of its own schedule a trial "
                 "goes on only if its tuning RMSE is among the best third of the earlier trials' at that epoch; "
                 "--metric rmse, not with --folds; the decisions do not depend on --jobs");
  verb->add_option("--model", o.model,
                   "Save the best configuration's model, retrained on the whole training part (default: not saved); "
                   "collab eval --model FILE then scores it on the test rows");
  verb->add_option("--plot", o.plot,
                   "Draw the metric against each tuned option, and the best so far against the trial number, to "
                   "FILE.png or FILE.svg (default: not drawn)");
  verb->add_option("--journal", o.journal,
                   "Append each finished trial to FILE as a JSON line (flushed and fsynced); the same command "
                   "with the same FILE skips the trials it holds; a journal of another search is refused (65)");
}

void fix_single_values(const CLI::App* verb, TuneVerbOptions& o) {
  for (const std::string& name : given_specs(verb, o)) {
    const TunedOption option = given_option(o, name);
    if (is_fixed(option)) apply_configuration({option}, {option.values[0]}, o.training.train);
  }
}

TunedSpace parse_space(const TuneVerbOptions& o, const CLI::App* verb, const TrainingRequest& request) {
  auto given = [verb](const std::string& name) { return verb->count(name) > 0; };
  if (given("--test-pct"))
    throw usage_error("--test-pct: tune's split (--split, --valid-pct, --valid-ratings) already names the test rows; "
                      "the rows trials are scored on come from --tune-pct or --folds");
  TunedSpace s;
  for (const std::string& spec : o.space) {
    s.options.push_back(parse_tuned_option(spec));
    const std::string& name = s.options.back().name;
    if (!s.names.insert(name).second) throw usage_error("--space " + spec + ": " + name + " is tuned twice");
    if (given("--" + name))
      throw usage_error("--space " + spec + ": --" + name + " is given too; tune it or fix it, not both");
  }
  for (const std::string& name : given_specs(verb, o)) {
    TunedOption option = given_option(o, name);
    if (!is_fixed(option)) s.names.insert(name), s.options.push_back(std::move(option));
  }
  if (s.options.empty())
    throw usage_error("nothing to tune: give a train option a list or a range, e.g. --lr 1e-4..1e-1 --factors 8,32,64 "
                      "(or --space lr=1e-4..1e-1)");
  if (o.search == SearchKind::grid) grid_size(s.options);  // a range is refused before anything loads
  if (o.prune && (o.metric != TuningMetric::rmse || o.folds > 0))
    throw usage_error("--prune scores a trial at its rungs by the epoch's validation loss: it needs --metric rmse and "
                      "the --tune-pct rows, not --folds");
  if (!o.model.empty()) require_replaceable_output(o.model, "model");
  if (!o.plot.empty()) {
    check_plot_path(o.plot);
    require_replaceable_output(o.plot, "plot");
  }
  const bool ratings_model = request.options.model.predicts_ratings();
  if (!ratings_model && minimised(o.metric))
    throw usage_error("--metric " + metric_name(o.metric) + ": this model kind scores items rather than predicting "
                      "ratings; use ndcg, precision, recall or map");
  return s;
}

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
  value(o.search), value(o.metric), value(o.k), value(o.tune_pct), value(o.folds), value(o.prune);
  // TPE's proposal rules, versioned: a journal of an earlier version's proposals is another search.
  if (o.search == SearchKind::tpe) f.text("tpe 2");
  const TrainOptions& t = r.options;
  value(t.model.arch), value(t.epochs), value(t.lr), value(t.wd), value(t.batch_size), value(t.model.factors);
  value(t.model.y_low), value(t.model.y_high), value(t.seed), value(t.optimizer), value(t.init_std);
  f.column(t.model.layers);
  value(t.model.implicit), value(t.positive_rating), value(t.loss), value(t.negatives), value(t.alpha), value(t.cg_steps);
  value(t.reg_u), value(t.reg_i);
  f.text(filter_options_text(r.filters));
  f.text(r.engine);
  f.text(r.device);
  return hex_digest(f.digest());
}

}  // namespace collab::cli
