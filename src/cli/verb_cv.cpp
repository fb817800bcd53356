// `collab cv`: k-fold cross-validation as Surprise's cross_validate (KFold with shuffling), with
// every training option and filter; a row per fold, then the mean and the standard deviation.
#include <cmath>
#include <cstdio>

#include "pipeline/cross_validation.h"
#include "model/run_fingerprint.h"
#include "support/hash.h"
#include "output.h"
#include "support/interrupt.h"
#include "training_options.h"
#include "verbs.h"

namespace collab::cli {
namespace {

struct CvVerbOptions {
  TrainingCommandOptions training;
  int folds = 5;
  int k = 10;
  std::string format;
};

// `folds`: the fingerprint of the folds (model/run_fingerprint.h), in every JSON row so that
// `collab compare` can tell runs on the same folds from others.
void print_row(const std::string& fold, const FoldResult& r, bool json, bool numbered, const std::string& folds) {
  auto number = [](double x) { return std::isnan(x) ? nlohmann::json(nullptr) : nlohmann::json(x); };
  if (json) {
    nlohmann::json j = {{"mse", number(r.mse)}, {"rmse", number(r.rmse)}, {"mae", number(r.mae)},
                        {"fit_seconds", r.fit_seconds}, {"eval_seconds", r.eval_seconds},
                        {"precision", r.precision}, {"recall", r.recall}, {"ndcg", r.ndcg}, {"map", r.map},
                        {"hit_rate", r.hit_rate}, {"coverage", r.coverage}, {"folds_fingerprint", folds}};
    j["fold"] = numbered ? nlohmann::json(std::stoi(fold)) : nlohmann::json(fold);
    print_json(j);
    return;
  }
  char line[200];
  std::snprintf(line, sizeof line, "%-5s  %-8.6f  %-8.6f  %-8.6f  %-11.2f  %-12.2f  %-8.6f  %.6f", fold.c_str(), r.mse,
                r.rmse, r.mae, r.fit_seconds, r.eval_seconds, r.ndcg, r.precision);
  print_line(line);
}

void run_cv(const CvVerbOptions& o, const TrainingRequest& request) {
  stop_at_safe_points();
  FilterReport filtered;
  const EncodedRatings data = load_filtered(request.source, request.filters, &filtered);
  if (request.filters.any()) std::fprintf(stderr, "collab: %s\n", filter_report_text(request.filters, filtered).c_str());
  const bool json = o.format == "json";
  const std::string folds = hex_digest(kfold_fingerprint(data, o.folds, request.options.seed));
  if (!json)
    print_line("fold   mse       rmse      mae       fit_seconds  eval_seconds  ndcg@" + std::to_string(o.k) + std::string(o.k < 10 ? 4 : 3, ' ') +
               "precision@" + std::to_string(o.k));
  FitHooks hooks;
  hooks.stop = &stop_requested();
  EvaluationOptions evaluation;
  evaluation.k = o.k;
  evaluation.threads = request.options.threads;
  const auto results = cross_validate(request, data, o.folds, evaluation, hooks, [&](int fold, const FoldResult& r) {
    if (fold == 0 && std::isnan(r.mse))
      std::fprintf(stderr, "collab: note: this model kind scores items rather than predicting ratings: its rating "
                   "metrics are null\n");
    print_row(std::to_string(fold), r, json, true, folds);
  });
  const FoldSummary summary = summarise_folds(results);
  print_row("mean", summary.mean, json, false, folds);
  print_row("std", summary.std, json, false, folds);
  if (!json) print_line("folds fingerprint " + folds);
}

}  // namespace

void add_cv_verb(CLI::App& app) {
  auto o = std::make_shared<CvVerbOptions>();
  auto* verb = app.add_subcommand(
      "cv",
      "k-fold cross-validation (KFold with shuffling, as Surprise's cross_validate): each rating validates\n"
      "in exactly one fold; a row per fold (mse, rmse, mae, fit and eval seconds, and eval's ranking metrics\n"
      "at --k: ndcg and precision in the table, all of them in JSON), then mean and std, each with the\n"
      "folds' fingerprint (a hash of the data and the folds) that collab compare checks. Models that score\n"
      "rather than predict ratings (popularity, BPR, implicit ALS) have null rating metrics.");
  verb->add_option("--folds", o->folds, "Folds")->check(CLI::Range(2, 100))->capture_default_str();
  verb->add_option("--k", o->k, "Length of the ranked lists of the ranking metrics (as collab eval --k)")
      ->check(CLI::Range(1, 100000))->capture_default_str();
  add_epochs_and_lr(verb, o->training.train);
  add_training_options(verb, o->training, /*with_split=*/false);
  add_format_option(verb, o->format, {"table", "json"});
  verb->callback([o, verb] { run_cv(*o, training_request(verb, o->training)); });
}

}  // namespace collab::cli
