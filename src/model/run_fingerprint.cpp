#include "model/run_fingerprint.h"

#include "support/hash.h"
#include "train/split.h"

namespace collab {

std::uint64_t kfold_fingerprint(const EncodedRatings& data, int folds, std::uint64_t seed) {
  Hasher h;
  h.update(&folds, sizeof folds);
  for (int fold = 0; fold < folds; ++fold) {
    const TrainValidSplit split = kfold_split(data, folds, fold, seed);
    std::vector<std::int32_t> user_id, movie_id;
    user_id.reserve(split.valid_rows.size());
    movie_id.reserve(split.valid_rows.size());
    const bool has_movie_ids = data.movie_id.size() == data.size();  // tests' made-up data may have none
    for (const auto r : split.valid_rows) {
      const auto row = static_cast<size_t>(r);
      user_id.push_back(data.vocabulary.user_ids[static_cast<size_t>(data.user[row])]);
      movie_id.push_back(has_movie_ids ? data.movie_id[row] : data.item[row]);
    }
    h.column(user_id);
    h.column(movie_id);
    h.column(split.valid.rating);
  }
  return h.digest();
}

std::uint64_t rows_fingerprint(const EvaluationRows& rows) {
  Hasher h;
  h.column(rows.user_id);
  h.column(rows.movie_id);
  h.column(rows.rating);
  return h.digest();
}

}  // namespace collab
