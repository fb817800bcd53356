// `collab tune`'s rows: the data set, its split into test rows and the training part (the verb's
// split), and inside the training part the trials' split (--tune-pct, or --folds' fold 0); and how
// a trial's model is scored on rows.
#pragma once

#include <string>

#include "model/evaluation.h"
#include "pipeline/cross_validation.h"
#include "pipeline/pipeline.h"
#include "train/tuning.h"
#include "tune_options.h"

namespace collab::cli {

// The data set and its two splits: the verb's (test rows against the training part) and, inside
// the training part, the trials' (their training rows against the tuning rows that score them);
// with --folds, the training part itself, which cross-validation splits K ways.
struct TuningRows {
  EncodedRatings data, training_part;
  TrainValidSplit outer, inner;  // with --folds, inner is fold 0's (its sizes are reported)
};

// `lead`: this process reports (rank 0, or the only one).
TuningRows load_tuning_rows(const TuneVerbOptions& o, const TrainingRequest& request, bool lead);

// The tuning metric of a fold's (or the tuning rows') figures; NaN where it does not apply
// (rating metrics of a ranking model).
double metric_of(const FoldResult& f, TuningMetric m);

Evaluation evaluate_on(const SavedModel& model, const RatingSet& set, const EvaluationOptions& eval);

}  // namespace collab::cli
