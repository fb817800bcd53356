#include "tuning_rows.h"

#include <cmath>
#include <cstdio>

#include "output.h"
#include "support/error.h"
#include "training_options.h"

namespace collab::cli {
namespace {

// The rows of `data` numbered `rows`, every column, with the whole vocabulary.
EncodedRatings rows_of(const EncodedRatings& data, const std::vector<std::int32_t>& rows) {
  EncodedRatings out;
  out.has_timestamps = data.has_timestamps;
  out.vocabulary = data.vocabulary;
  for (const std::int32_t row : rows) {
    const auto r = static_cast<size_t>(row);
    out.user.push_back(data.user[r]), out.item.push_back(data.item[r]), out.rating.push_back(data.rating[r]);
    out.movie_id.push_back(data.movie_id[r]), out.timestamp.push_back(data.timestamp[r]);
  }
  return out;
}

}  // namespace

double metric_of(const FoldResult& f, TuningMetric m) {
  switch (m) {
    case TuningMetric::rmse: return f.rmse;
    case TuningMetric::mae: return f.mae;
    case TuningMetric::ndcg: return f.ndcg;
    case TuningMetric::precision: return f.precision;
    case TuningMetric::recall: return f.recall;
    case TuningMetric::map: return f.map;
  }
  return std::nan("");
}

Evaluation evaluate_on(const SavedModel& model, const RatingSet& set, const EvaluationOptions& eval) {
  EvaluationRows rows;
  static_cast<RatingSet&>(rows) = set;
  return evaluate(model, rows, eval);
}

TuningRows load_tuning_rows(const TuneVerbOptions& o, const TrainingRequest& request, bool lead) {
  TuningRows rows;
  FilterReport filtered;
  rows.data = load_filtered(request.source, request.filters, &filtered);
  const SplitSpec& spec = request.split;
  rows.outer = split_ratings(rows.data, spec, request.options.seed);
  if (lead) report_filters_and_split(request.filters, filtered, spec, rows.outer);
  if (rows.outer.valid.size() == 0) throw data_error("the " + split_name(spec.kind) + " split leaves no test rows");
  if (o.folds > 0) {
    rows.training_part = rows_of(rows.data, rows.outer.train_rows);
    rows.inner = kfold_split(rows.training_part, o.folds, 0, request.options.seed);
  } else {
    rows.inner = carve_tuning_split(rows.outer.train, o.tune_pct, request.options.seed);
  }
  const TrainValidSplit& inner = rows.inner;
  const std::string carved = o.folds > 0 ? "--folds " + std::to_string(o.folds) : "--tune-pct " + fixed(o.tune_pct, 3);
  if (inner.valid.size() == 0 || inner.train.size() == 0)
    throw data_error(carved + " of " + std::to_string(rows.outer.train.size()) + " training ratings leaves no rows to " +
                     (inner.valid.size() == 0 ? "score" : "train") + " trials on");
  if (lead)
    std::fprintf(stderr, "collab: %zu ratings: %zu test, %zu training (trials train on %zu, scored on %zu%s)\n",
                 rows.data.size(), rows.outer.valid.size(), rows.outer.train.size(), inner.train.size(),
                 inner.valid.size(), o.folds > 0 ? (", each of " + std::to_string(o.folds) + " folds").c_str() : "");
  return rows;
}

}  // namespace collab::cli
