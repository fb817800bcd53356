// `collab tune`'s options: the search's own (--search, --trials, --metric, --tune-pct or --folds,
// ...) and the train options a search may vary, each taking a SPEC (a list a,b,c or a range
// lo..hi) in place of train's single value; and what they become: the tuned space, with the
// single values fixed as train would take them.
#pragma once

#include <CLI/CLI.hpp>
#include <map>
#include <set>
#include <string>
#include <vector>

#include "train/tuning.h"
#include "training_options.h"

namespace collab::cli {

struct TuneVerbOptions {
  TrainingCommandOptions training;
  std::vector<std::string> space;            // --space NAME=SPEC, in the order given
  std::map<std::string, std::string> specs;  // --NAME SPEC, by NAME (lr, wd, arch, ...)
  SearchKind search = SearchKind::random;
  int trials = 20;
  double time_budget = 0;
  int jobs = 0;  // 0: the usable cores (shared by the ranks on this machine)
  int nproc = 1;  // --nproc: local ranks taking trials from one queue
  int dist_timeout = 60;  // --dist-timeout: a rank silent this long is taken for dead
  TuningMetric metric = TuningMetric::rmse;
  int k = 10;
  double tune_pct = 0.2;
  int folds = 0;  // 0: --tune-pct scores the trials; else inner k-fold cross-validation
  bool prune = false;
  std::string model, journal, format, plot;
};

// Declares the search's options. Call after the train options are declared: each tunable one
// (tunable_option_names) is declared again to take a SPEC, with its description and default.
void add_tune_options(CLI::App* verb, TuneVerbOptions& o);

// Every --NAME SPEC given, parsed (a usage error naming --NAME); the single values are written
// into o.training.train, as train would take them. Call before training_request.
void fix_single_values(const CLI::App* verb, TuneVerbOptions& o);

// The tuned options, checked against each other and the fixed ones before anything loads.
struct TunedSpace {
  std::vector<TunedOption> options;
  std::set<std::string> names;
};
TunedSpace parse_space(const TuneVerbOptions& o, const CLI::App* verb, const TrainingRequest& request);

// Everything that makes two runs the same search, so that a journal is resumed only by its own:
// the rows (data, filters, split), the space, the search, seed, metric and every fixed option.
// Not --trials, --time-budget or --jobs: a resumed search may run longer or on more cores.
std::string search_fingerprint(const TrainValidSplit& split, const std::vector<TunedOption>& space,
                               const TuneVerbOptions& o, const TrainingRequest& r);

}  // namespace collab::cli
