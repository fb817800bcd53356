// `collab eval`'s work: a saved model's predictions on a set of ratings (its own validation rows,
// rebuilt from the data set and split it records, or a ratings file), the rating metrics, and
// the ranking metrics of its top-k lists.
#pragma once

#include <string>
#include <vector>

#include "collab/collab.h"
#include "data/ratings_loader.h"
#include "model/metrics.h"
#include "train/trained_model.h"

namespace collab {

// Ratings to evaluate on, in the model's encoding (row 0 for a user or item it does not know).
struct EvaluationRows : RatingSet {
  std::vector<std::int32_t> user_id;  // the ratings' own ids, for --predictions
  std::vector<std::int32_t> movie_id;
};

// The model's validation rows: its data source loaded again and split as it records; a data
// error when the model predates that record or the data set changed since (its vocabularies
// differ).
EvaluationRows validation_rows_of(const SavedModel& model);
// The rows of a ratings file (userId, movieId, rating): users and movieIds the model does not
// know become row 0, #na#, whose values are its untrained initial ones.
EvaluationRows rows_of_file(const SavedModel& model, const RatingColumns& ratings);

// One evaluated user's own metrics (evaluate's per_user), for paired comparisons.
struct UserEvaluation {
  std::int32_t user_id = 0;  // the ratings' own userId
  RatingMetrics rating;      // over the user's rows
  bool ranked = false;       // had a top-k list: a relevant item and a training rating
  RankingMetrics ranking;    // the user's alone (users = 1), when ranked
};

struct Evaluation {
  RatingMetrics rating;
  // false for models that score rather than predict ratings (popularity, BPR, implicit ALS): their
  // rating metrics mean nothing and are reported as null.
  bool rating_metrics_apply = true;
  size_t cold_users = 0, cold_items = 0;  // rows whose user (item) training never saw
  RankingMetrics ranking;
  std::vector<double> predictions;        // per row
  std::vector<UserEvaluation> per_user;   // by userId, each user with a row, when asked for
};

// EvaluationOptions (k, relevant_rating, threads) is the public API's (collab/collab.h).
// per_user: also fill Evaluation::per_user.
Evaluation evaluate(const SavedModel& model, const EvaluationRows& rows, const EvaluationOptions& options,
                    bool per_user = false);

}  // namespace collab
