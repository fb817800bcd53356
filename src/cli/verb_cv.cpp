// `collab cv`: k-fold cross-validation as Surprise's cross_validate (KFold with shuffling), with
// every training option and filter; a row per fold, then the mean and the standard deviation.
#include <chrono>
#include <cmath>
#include <cstdio>

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
  std::string format;
};

struct FoldResult {
  double mse, rmse, mae, fit_seconds, eval_seconds;
};

double seconds_since(std::chrono::steady_clock::time_point t) {
  return std::chrono::duration<double>(std::chrono::steady_clock::now() - t).count();
}

// `folds`: the fingerprint of the folds (model/run_fingerprint.h), in every JSON row so that
// `collab compare` can tell runs on the same folds from others.
void print_row(const std::string& fold, const FoldResult& r, bool json, bool numbered, const std::string& folds) {
  if (json) {
    nlohmann::json j = {{"mse", r.mse}, {"rmse", r.rmse}, {"mae", r.mae}, {"fit_seconds", r.fit_seconds},
                        {"eval_seconds", r.eval_seconds}, {"folds_fingerprint", folds}};
    j["fold"] = numbered ? nlohmann::json(std::stoi(fold)) : nlohmann::json(fold);
    print_json(j);
    return;
  }
  char line[160];
  std::snprintf(line, sizeof line, "%-5s  %-8.6f  %-8.6f  %-8.6f  %-11.2f  %.2f", fold.c_str(), r.mse, r.rmse, r.mae,
                r.fit_seconds, r.eval_seconds);
  print_line(line);
}

void run_cv(const CvVerbOptions& o, const TrainingRequest& request) {
  stop_at_safe_points();
  FilterReport filtered;
  const EncodedRatings data = load_filtered(request.source, request.filters, &filtered);
  if (request.filters.any()) std::fprintf(stderr, "collab: %s\n", filter_report_text(request.filters, filtered).c_str());
  const bool json = o.format == "json";
  const std::string folds = hex_digest(kfold_fingerprint(data, o.folds, request.options.seed));
  if (!json) print_line("fold   mse       rmse      mae       fit_seconds  eval_seconds");
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
    std::vector<double> predicted(valid.size());
    for (size_t i = 0; i < valid.size(); ++i) predicted[i] = predict_rating(model, valid.user[i], valid.item[i]);
    const RatingMetrics m = rating_metrics(valid.rating, predicted);
    r.eval_seconds = seconds_since(evaluating);
    r.mse = m.mse, r.rmse = m.rmse, r.mae = m.mae;
    results.push_back(r);
    print_row(std::to_string(fold), r, json, true, folds);
  }
  // Mean and standard deviation over the folds (population, as numpy's std in Surprise's report).
  FoldResult mean{}, sd{};
  auto fields = [](FoldResult& f) { return std::vector<double*>{&f.mse, &f.rmse, &f.mae, &f.fit_seconds, &f.eval_seconds}; };
  const auto n = static_cast<double>(results.size());
  for (auto& r : results)
    for (size_t i = 0; i < 5; ++i) *fields(mean)[i] += *fields(r)[i] / n;
  for (auto& r : results)
    for (size_t i = 0; i < 5; ++i) *fields(sd)[i] += std::pow(*fields(r)[i] - *fields(mean)[i], 2) / n;
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
      "in exactly one fold; a row per fold (mse, rmse, mae, fit and eval seconds), then mean and std,\n"
      "each with the folds' fingerprint (a hash of the data and the folds) that collab compare checks.");
  verb->add_option("--folds", o->folds, "Folds")->check(CLI::Range(2, 100))->capture_default_str();
  add_epochs_and_lr(verb, o->training.train);
  add_training_options(verb, o->training, /*with_split=*/false);
  add_format_option(verb, o->format, {"table", "json"});
  verb->callback([o, verb] { run_cv(*o, training_request(verb, o->training)); });
}

}  // namespace collab::cli
