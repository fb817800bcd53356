#include "model/evaluation.h"

#include <algorithm>
#include <filesystem>
#include <map>
#include <unordered_map>

#include "model/interpret.h"
#include "model/top_items.h"
#include "support/error.h"
#include "support/files.h"
#include "train/split.h"
#include "train/split_membership.h"

namespace collab {

namespace {

// The data a model records, to be read again as it is now: never downloaded, and no folder made,
// on a model file's say-so (a crafted or moved model names any folder it likes).
DataSource recorded_source(const SavedModel& m) {
  DataSource s = m.source;
  const bool registered = !s.install_dir.empty();
  std::vector<std::string> paths{s.ratings_path, s.movies_path};
  if (m.split.kind == SplitKind::given) paths.push_back(m.split.valid_ratings);
  for (const std::string& path : paths) {
    // A pipe the model was trained on is gone or would give other bytes: /dev/fd/N, /proc/...
    const bool was_stream = is_stream_input(path) || path.rfind("/dev/fd/", 0) == 0 || path.rfind("/proc/", 0) == 0;
    if (was_stream)
      throw missing_input("the model was trained on " + input_name(path) +
                          ", a stream that cannot be read again; give --ratings FILE");
    std::error_code ec;
    if (!std::filesystem::exists(path, ec))
      throw missing_input("the model's data file " + path + " is not there" +
                          (registered && path != m.split.valid_ratings
                               ? " (collab download --dataset " + s.format.name + " --data-dir " + s.install_dir +
                                     " puts it back)"
                               : "") +
                          "; give --ratings FILE");
  }
  s.install_dir.clear();  // read, never installed
  return s;
}

}  // namespace

EvaluationRows validation_rows_of(const SavedModel& m) {
  if (!m.has_source)
    throw data_error("this model does not record the data it was trained on (trained from ratings in memory "
                     "through the library, or by an older collab); give --ratings FILE");
  const EncodedRatings data = load_filtered(recorded_source(m), m.filters);  // filtered as in training
  const std::string changed = m.source.description + " has changed since the model was trained";
  if (data.vocabulary.user_ids != m.vocabulary.user_ids || data.vocabulary.item_titles != m.vocabulary.item_titles)
    throw data_error(changed + " (its users or items differ); give --ratings FILE");
  const TrainValidSplit split = split_ratings(data, m.split, m.options.seed);
  // Same users and items can still be other rows or ratings: the model's record of its rows says.
  const bool rows_differ = !m.split_rows.empty() ? split_fingerprint(split) != m.split_rows
                          : !m.split_membership.empty() && membership_fingerprint(data, split) != m.split_membership;
  if (rows_differ)
    throw data_error(changed + " (the rows of its split, or their ratings, differ); give --ratings FILE");
  EvaluationRows rows;
  static_cast<RatingSet&>(rows) = split.valid;
  for (auto r : split.valid_rows) {
    rows.user_id.push_back(data.vocabulary.user_ids[static_cast<size_t>(data.user[static_cast<size_t>(r)])]);
    rows.movie_id.push_back(data.movie_id[static_cast<size_t>(r)]);
  }
  return rows;
}

EvaluationRows rows_of_file(const SavedModel& m, const RatingColumns& ratings) {
  const Vocabulary& v = m.vocabulary;
  std::unordered_map<std::int32_t, std::int32_t> item_of_movie;
  for (size_t i = 1; i < v.item_movie_ids.size(); ++i) item_of_movie.emplace(v.item_movie_ids[i], static_cast<std::int32_t>(i));
  EvaluationRows rows;
  for (size_t r = 0; r < ratings.size(); ++r) {
    auto u = std::lower_bound(v.user_ids.begin() + 1, v.user_ids.end(), ratings.user_id[r]);
    auto it = item_of_movie.find(ratings.movie_id[r]);
    rows.user.push_back(u != v.user_ids.end() && *u == ratings.user_id[r] ? static_cast<std::int32_t>(u - v.user_ids.begin()) : 0);
    rows.item.push_back(it == item_of_movie.end() ? 0 : it->second);
    rows.rating.push_back(ratings.rating[r]);
    rows.user_id.push_back(ratings.user_id[r]);
    rows.movie_id.push_back(ratings.movie_id[r]);
  }
  return rows;
}

namespace {

// Each user's rating metrics over their rows and, for a ranked user, the ranking metrics of their
// list alone: the same definitions as the averages, applied to one user at a time.
std::vector<UserEvaluation> per_user_evaluation(const SavedModel& m, const EvaluationRows& rows,
                                                const std::vector<double>& predictions,
                                                const std::vector<std::int32_t>& ranked_users,
                                                const std::vector<RankedUser>& ranked, int k, size_t catalogue) {
  std::map<std::int32_t, std::vector<size_t>> rows_of;  // userId -> its rows
  for (size_t r = 0; r < rows.rating.size(); ++r) rows_of[rows.user_id[r]].push_back(r);
  std::unordered_map<std::int32_t, size_t> ranked_of;  // userId -> its place in `ranked`
  for (size_t i = 0; i < ranked_users.size(); ++i)
    ranked_of.emplace(m.vocabulary.user_ids[static_cast<size_t>(ranked_users[i])], i);
  std::vector<UserEvaluation> out;
  out.reserve(rows_of.size());
  for (const auto& [user_id, user_rows] : rows_of) {
    UserEvaluation u;
    u.user_id = user_id;
    std::vector<float> actual;
    std::vector<double> predicted;
    for (size_t r : user_rows) actual.push_back(rows.rating[r]), predicted.push_back(predictions[r]);
    u.rating = rating_metrics(actual, predicted);
    if (auto it = ranked_of.find(user_id); it != ranked_of.end()) {
      u.ranked = true;
      u.ranking = ranking_metrics({ranked[it->second]}, k, catalogue);
    }
    out.push_back(u);
  }
  return out;
}

}  // namespace

Evaluation evaluate(const SavedModel& m, const EvaluationRows& rows, const EvaluationOptions& o, bool per_user) {
  Evaluation e;
  e.rating_metrics_apply = m.shape.predicts_ratings();
  const std::vector<char> items_trained = m.items_trained();
  e.predictions.reserve(rows.rating.size());
  // Each ranked user's relevant items, in the order the users first appear.
  std::unordered_map<std::int32_t, size_t> ranked_index;
  std::vector<std::int32_t> ranked_users;
  std::vector<RankedUser> ranked;
  for (size_t r = 0; r < rows.rating.size(); ++r) {
    const std::int32_t user = rows.user[r], item = rows.item[r];
    e.predictions.push_back(predict_rating(m, user, item));
    const bool user_known = user > 0 && m.user_trained(user);
    e.cold_users += !user_known;
    e.cold_items += !(item > 0 && items_trained[static_cast<size_t>(item)]);
    if (!user_known || item == 0 || rows.rating[r] < o.relevant_rating) continue;
    auto [it, fresh] = ranked_index.emplace(user, ranked.size());
    if (fresh) ranked_users.push_back(user), ranked.emplace_back();
    ranked[it->second].relevant.push_back(item);
  }
  e.rating = rating_metrics(rows.rating, e.predictions);
  TopItemsOptions top;
  top.k = static_cast<size_t>(o.k);
  top.threads = o.threads;
  size_t next = 0;
  top_items_for_users(m, ranked_users, top, [&](std::int32_t, std::vector<ScoredItem>& list) {
    for (const auto& s : list) ranked[next].top.push_back(s.index);
    ++next;
  });
  const auto catalogue = static_cast<size_t>(std::count(items_trained.begin() + 1, items_trained.end(), 1));
  e.ranking = ranking_metrics(ranked, o.k, catalogue);
  if (per_user) e.per_user = per_user_evaluation(m, rows, e.predictions, ranked_users, ranked, o.k, catalogue);
  return e;
}

}  // namespace collab
