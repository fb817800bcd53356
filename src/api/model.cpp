// The public API's model handle: a loaded or trained model file and what it answers, through the
// reading verbs' own code (model/interpret.h, model/top_items.h, model/new_user.h).
#include <cmath>

#include "api/api_internal.h"
#include "model/evaluation.h"
#include "model/interpret.h"
#include "model/model_file.h"
#include "model/new_user.h"
#include "model/title_match.h"
#include "model/top_items.h"
#include "support/error.h"

namespace collab {
namespace {

std::vector<ItemScore> public_scores(const SavedModel& m, const std::vector<ScoredItem>& items) {
  std::vector<ItemScore> out;
  out.reserve(items.size());
  for (const ScoredItem& s : items)
    out.push_back({m.vocabulary.item_movie_ids[static_cast<size_t>(s.index)], s.name, s.value});
  return out;
}

ItemScore item_score(const Vocabulary& v, std::int32_t row) {
  const auto r = static_cast<size_t>(row);
  return {v.item_movie_ids[r], v.item_titles[r], 0.0};
}

std::vector<UserScore> public_users(const SavedModel& m, const std::vector<ScoredItem>& users) {
  std::vector<UserScore> out;
  out.reserve(users.size());
  for (const ScoredItem& s : users)
    out.push_back({m.vocabulary.user_ids[static_cast<size_t>(s.index)], s.value});
  return out;
}

// The range a person's ratings must keep to: the data set's, else the model's output's.
std::pair<float, float> rating_range(const SavedModel& m) {
  if (m.has_source) return {m.source.format.min_rating, m.source.format.max_rating};
  return {m.shape.y_low, m.shape.y_high};
}

// `m` with the person whose ratings `path` holds fitted in (model/new_user.h); their user row.
std::int32_t fit_person_from_file(SavedModel& m, const std::string& path) {
  const auto [lo, hi] = rating_range(m);
  return add_fitted_user(m, match_person_ratings(m, read_person_ratings(path, lo, hi), path));
}

}  // namespace

Model::Model(std::shared_ptr<const State> state) : state_(std::move(state)) {}

Model Model::load(const std::string& path) { return model_of(load_model(path)); }

void Model::save(const std::string& path) const { save_model(path, state_->model); }

std::string Model::kind() const {
  const TrainOptions& o = state_->model.options;
  return arch_name(state_->model.shape.arch) + (o.loss == Loss::bpr ? "+bpr" : "") +
         (o.optimizer == OptimizerKind::als ? "+als" : "");
}

bool Model::predicts_ratings() const { return state_->model.shape.predicts_ratings(); }

std::vector<Epoch> Model::history() const {
  std::vector<Epoch> out;
  for (const EpochRecord& e : state_->model.history)
    out.push_back({e.epoch, e.train_loss, e.valid_loss, e.seconds});
  return out;
}

std::vector<std::int32_t> Model::users() const {
  const auto& ids = state_->model.vocabulary.user_ids;
  return {ids.begin() + 1, ids.end()};  // row 0 is #na#
}

std::vector<ItemScore> Model::items() const {
  const Vocabulary& v = state_->model.vocabulary;
  std::vector<ItemScore> out;
  for (size_t i = 1; i < v.item_rows(); ++i)
    out.push_back({v.item_movie_ids[i], v.item_titles[i], 0.0});
  return out;
}

ItemScore Model::item(const std::string& name) const {
  const Vocabulary& v = state_->model.vocabulary;
  return item_score(v, find_item(v, name));
}

double Model::predict(std::int32_t user_id, const std::string& item) const {
  const SavedModel& m = state_->model;
  const std::int32_t user = find_user(m.vocabulary, user_id);  // an unknown user is said first
  return predict_rating(m, user, find_item(m.vocabulary, item));
}

std::vector<double> Model::predict(const Ratings& pairs) const {
  if (pairs.user_id.size() != pairs.movie_id.size())
    throw data_error("prediction pairs: user_id and movie_id differ in length");
  RatingColumns columns;
  columns.user_id = pairs.user_id, columns.movie_id = pairs.movie_id;
  columns.rating.assign(pairs.user_id.size(), 0.0f);
  const EvaluationRows rows = rows_of_file(state_->model, columns);
  std::vector<double> out;
  out.reserve(rows.user.size());
  for (size_t r = 0; r < rows.user.size(); ++r)
    out.push_back(predict_rating(state_->model, rows.user[r], rows.item[r]));
  return out;
}

std::vector<ItemScore> Model::recommend(std::int32_t user_id, std::size_t k) const {
  return recommend(user_id, ListOptions{k});
}

std::vector<ItemScore> Model::recommend(std::int32_t user_id, const ListOptions& list) const {
  const SavedModel& m = state_->model;
  return public_scores(
      m, recommend_items(m, find_user(m.vocabulary, user_id), list.k, list.include_untrained));
}

void Model::recommend_all(
    std::size_t k,
    const std::function<void(std::int32_t, const std::vector<ItemScore>&)>& emit) const {
  recommend_all(ListOptions{k}, emit);
}

void Model::recommend_all(
    const ListOptions& list,
    const std::function<void(std::int32_t, const std::vector<ItemScore>&)>& emit) const {
  const SavedModel& m = state_->model;
  std::vector<std::int32_t> users;
  for (size_t u = 1; u < m.vocabulary.user_rows(); ++u)
    if (m.user_trained(static_cast<std::int32_t>(u))) users.push_back(static_cast<std::int32_t>(u));
  TopItemsOptions top;
  top.k = list.k;
  top.include_untrained = list.include_untrained;
  top.threads = list.threads;
  top_items_for_users(m, users, top, [&](std::int32_t user, std::vector<ScoredItem>& list) {
    emit(m.vocabulary.user_ids[static_cast<size_t>(user)], public_scores(m, list));
  });
}

std::vector<ItemScore> Model::recommend_new_user(
    const std::vector<std::pair<std::string, float>>& ratings, std::size_t k) const {
  SavedModel m = state_->model;  // the fitted user is added to a copy: the handle stays as it was
  const auto [lo, hi] = rating_range(m);
  PersonRatings person;
  for (size_t i = 0; i < ratings.size(); ++i) {
    const float r = ratings[i].second;
    if (!(r >= lo && r <= hi))
      throw data_error("new user's ratings line " + std::to_string(i) + ": rating " +
                       std::to_string(r) + " is outside the model's range " + std::to_string(lo) +
                       ".." + std::to_string(hi));
    person.keys.push_back(ratings[i].first), person.rating.push_back(r),
        person.line.push_back(static_cast<unsigned>(i));
  }
  const std::int32_t user =
      add_fitted_user(m, match_person_ratings(m, person, "new user's ratings"));
  return public_scores(m, recommend_items(m, user, k, false));
}

std::vector<ItemScore> Model::recommend_from_file(const std::string& ratings_csv,
                                                  const ListOptions& list) const {
  SavedModel m = state_->model;  // as recommend_new_user
  const std::int32_t user = fit_person_from_file(m, ratings_csv);
  return public_scores(m, recommend_items(m, user, list.k, list.include_untrained));
}

double Model::predict_from_file(const std::string& ratings_csv, const std::string& item) const {
  SavedModel m = state_->model;
  const std::int32_t user = fit_person_from_file(m, ratings_csv);
  return predict_rating(m, user, find_item(m.vocabulary, item));
}

Model::Biases Model::biases(std::size_t top) const { return biases(ListOptions{top}); }

Model::Biases Model::biases(const ListOptions& list) const {
  const SavedModel& m = state_->model;
  const BiasExtremes b = extreme_biases(m, list.k, /*users=*/false, list.include_untrained);
  return {public_scores(m, b.lowest), public_scores(m, b.highest)};
}

Model::UserBiases Model::user_biases(const ListOptions& list) const {
  const SavedModel& m = state_->model;
  const BiasExtremes b = extreme_biases(m, list.k, /*users=*/true, list.include_untrained);
  return {public_users(m, b.lowest), public_users(m, b.highest)};
}

std::vector<ItemScore> Model::similar(const std::string& item, std::size_t k) const {
  return similar(item, ListOptions{k});
}

std::vector<ItemScore> Model::similar(const std::string& item, const ListOptions& list) const {
  const SavedModel& m = state_->model;
  return public_scores(
      m, similar_items(m, find_item(m.vocabulary, item), list.k, list.include_untrained));
}

std::vector<float> Model::factors(const std::string& item) const {
  const SavedModel& m = state_->model;
  if (!m.shape.has_factors()) throw data_error("a " + kind() + " model has no factors");
  const std::int32_t row = find_item(m.vocabulary, item);
  const NamedTensor& f = m.weights.get(tables::item_factors);
  const auto cols = static_cast<size_t>(f.cols());
  const auto begin =
      f.values.begin() + static_cast<std::ptrdiff_t>(static_cast<size_t>(row) * cols);
  return {begin, begin + static_cast<std::ptrdiff_t>(cols)};
}

Model::Pca Model::pca(int components, std::size_t most_rated) const {
  const SavedModel& m = state_->model;
  ItemPca p = item_factor_pca(m, components, most_rated);
  Pca out;
  for (std::int32_t row : p.items) out.items.push_back(item_score(m.vocabulary, row));
  out.coordinates = std::move(p.coordinates);
  out.explained_variance = std::move(p.explained_variance);
  return out;
}

}  // namespace collab
