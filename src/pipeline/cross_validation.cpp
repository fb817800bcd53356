#include "pipeline/cross_validation.h"

#include <chrono>
#include <cmath>

namespace collab {
namespace {

double seconds_since(std::chrono::steady_clock::time_point t) {
  return std::chrono::duration<double>(std::chrono::steady_clock::now() - t).count();
}

std::vector<double*> fields(FoldResult& f) {
  return {&f.mse,        &f.rmse,       &f.mae,         &f.precision,   &f.recall,
          &f.ndcg,       &f.map,        &f.hit_rate,    &f.coverage,    &f.users,
          &f.cold_users, &f.cold_items, &f.fit_seconds, &f.eval_seconds};
}

}  // namespace

FoldResult fold_result(const Evaluation& e) {
  const double none = std::nan("");
  FoldResult r;
  r.mse = e.rating_metrics_apply ? e.rating.mse : none;
  r.rmse = e.rating_metrics_apply ? e.rating.rmse : none;
  r.mae = e.rating_metrics_apply ? e.rating.mae : none;
  r.precision = e.ranking.precision, r.recall = e.ranking.recall, r.ndcg = e.ranking.ndcg,
  r.map = e.ranking.map;
  r.hit_rate = e.ranking.hit_rate, r.coverage = e.ranking.coverage;
  r.users = static_cast<double>(e.ranking.users);
  r.cold_users = static_cast<double>(e.cold_users),
  r.cold_items = static_cast<double>(e.cold_items);
  return r;
}

std::vector<FoldResult> cross_validate(const TrainingRequest& request, const EncodedRatings& data,
                                       int folds, const EvaluationOptions& evaluation,
                                       const FitHooks& hooks,
                                       const std::function<void(int, const FoldResult&)>& on_fold) {
  std::vector<FoldResult> results;
  for (int fold = 0; fold < folds; ++fold) {
    const auto started = std::chrono::steady_clock::now();
    auto run =
        prepare_training_on(request, data, kfold_split(data, folds, fold, request.options.seed));
    const SavedModel model = train_model(*run, request, hooks);
    const double fit_seconds = seconds_since(started);
    const auto evaluating = std::chrono::steady_clock::now();
    EvaluationRows rows;
    static_cast<RatingSet&>(rows) = run->split.valid;
    FoldResult r = fold_result(evaluate(model, rows, evaluation));
    r.fit_seconds = fit_seconds;
    r.eval_seconds = seconds_since(evaluating);
    results.push_back(r);
    if (on_fold) on_fold(fold, r);
  }
  return results;
}

FoldSummary summarise_folds(const std::vector<FoldResult>& folds) {
  FoldSummary s;
  const auto n = static_cast<double>(folds.size());
  for (FoldResult r : folds)
    for (size_t i = 0; i < fields(r).size(); ++i) *fields(s.mean)[i] += *fields(r)[i] / n;
  for (FoldResult r : folds)
    for (size_t i = 0; i < fields(r).size(); ++i)
      *fields(s.std)[i] += std::pow(*fields(r)[i] - *fields(s.mean)[i], 2) / n;
  for (double* x : fields(s.std)) *x = std::sqrt(*x);
  return s;
}

}  // namespace collab
