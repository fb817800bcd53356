// k-fold cross-validation as a library call (Surprise's cross_validate: KFold with shuffling): a
// model trained on every fold's training rows with the request's options, each scored on its
// validation rows by evaluate(). `collab cv` and the public API's cross_validate are its callers.
#pragma once

#include <functional>
#include <vector>

#include "model/evaluation.h"
#include "pipeline/pipeline.h"

namespace collab {

// A fold's metrics: rating metrics (NaN for models that score rather than predict ratings), the
// ranking metrics of evaluate(), and how long training and evaluating took.
struct FoldResult {
  double mse = 0, rmse = 0, mae = 0;
  double precision = 0, recall = 0, ndcg = 0, map = 0, hit_rate = 0, coverage = 0;
  double users = 0, cold_users = 0, cold_items = 0;
  double fit_seconds = 0, eval_seconds = 0;
};

// An evaluation's figures in a fold's terms (no times).
FoldResult fold_result(const Evaluation& evaluation);

// Trains and evaluates fold 0..folds-1 of `data` (already filtered) in order, calling on_fold
// with each result as it is known. The request's split is not used: the folds are
// kfold_split(data, folds, fold, request.options.seed).
std::vector<FoldResult> cross_validate(
    const TrainingRequest& request, const EncodedRatings& data, int folds,
    const EvaluationOptions& evaluation, const FitHooks& hooks,
    const std::function<void(int fold, const FoldResult&)>& on_fold = {});

struct FoldSummary {
  FoldResult mean, std;  // population standard deviation, as numpy's std in Surprise's report
};
FoldSummary summarise_folds(const std::vector<FoldResult>& folds);

}  // namespace collab
