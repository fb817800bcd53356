// `collab cv`: k-fold cross-validation as Surprise's cross_validate (KFold with shuffling), with
// every training option and filter; a row per fold, then the mean and the standard deviation.
#include <chrono>
#include <cmath>
#include <cstdio>

#include "model/evaluation.h"
#include "model/run_fingerprint.h"
#include "support/hash.h"
#include "model/interpret.h"
#include "model/metrics.h"
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

// A fold's metrics: rating metrics (NaN, printed as null, for models that score rather than
// predict ratings), then eval's ranking metrics at --k on the fold's validation rows.
struct FoldResult {
  double mse, rmse, mae, fit_seconds, eval_seconds;
  double precision, recall, ndcg, map, hit_rate, coverage;
};
constexpr size_t kFoldFields = 11;

double seconds_since(std::chrono::steady_clock::time_point t) {
  return std::chrono::duration<double>(std::chrono::steady_clock::now() - t).count();
}

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
  std::vector<FoldResult> results;
  FitHooks hooks;
  hooks.stop = &stop_requested();
  for (int fold = 0; fold < o.folds; ++fold) {
    const auto started = std::chrono::steady_clock::now();
    auto run = prepare_training_on(request, data, kfold_split(data, o.folds, fold, request.options.seed));
    const SavedModel model = train_model(*run, request, hooks);
    FoldResult r{};
    r.fit_seconds = seconds_since(started);
    const auto evaluating = std::chrono::steady_clock::now();
    const RatingSet& valid = run->split.valid;
    EvaluationRows rows;
    rows.user = valid.user, rows.item = valid.item, rows.rating = valid.rating;
    EvaluationOptions eval;
    eval.k = o.k;
    eval.threads = request.options.threads;
    const Evaluation e = evaluate(model, rows, eval);
    r.eval_seconds = seconds_since(evaluating);
    const double none = std::nan("");
    r.mse = e.rating_metrics_apply ? e.rating.mse : none;
    r.rmse = e.rating_metrics_apply ? e.rating.rmse : none;
    r.mae = e.rating_metrics_apply ? e.rating.mae : none;
    r.precision = e.ranking.precision, r.recall = e.ranking.recall, r.ndcg = e.ranking.ndcg, r.map = e.ranking.map;
    r.hit_rate = e.ranking.hit_rate, r.coverage = e.ranking.coverage;
    if (fold == 0 && !e.rating_metrics_apply)
      std::fprintf(stderr, "collab: note: this model kind scores items rather than predicting ratings: its rating "
                   "metrics are null\n");
    results.push_back(r);
    print_row(std::to_string(fold), r, json, true, folds);
  }
  // Mean and standard deviation over the folds (population, as numpy's std in Surprise's report).
  FoldResult mean{}, sd{};
  auto fields = [](FoldResult& f) {
    return std::vector<double*>{&f.mse, &f.rmse, &f.mae, &f.fit_seconds, &f.eval_seconds, &f.precision,
                                &f.recall, &f.ndcg, &f.map, &f.hit_rate, &f.coverage};
  };
  const auto n = static_cast<double>(results.size());
  for (auto& r : results)
    for (size_t i = 0; i < kFoldFields; ++i) *fields(mean)[i] += *fields(r)[i] / n;
  for (auto& r : results)
    for (size_t i = 0; i < kFoldFields; ++i) *fields(sd)[i] += std::pow(*fields(r)[i] - *fields(mean)[i], 2) / n;
  for (double* x : fields(sd)) *x = std::sqrt(*x);
  print_row("mean", mean, json, false, folds);
  print_row("std", sd, json, false, folds);
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
