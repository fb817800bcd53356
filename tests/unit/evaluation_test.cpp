// collab eval's work (model/evaluation.h) on a model small enough to work out by hand: a
// BaselineOnly model (prediction = mu + user bias + item bias), two users and four items.
#include <gtest/gtest.h>

#include <cmath>
#include <string>

#include "model/evaluation.h"
#include "test_support.h"

namespace collab {
namespace {

// mu 3; users 10 and 20 (rows 1, 2) with biases +0.5 and -0.5; items 1..4 with biases +1, 0, -1,
// +0.5. Training rows: user 10 rated item 1, user 20 items 2 and 3; item 4 was never trained. So
// user 10 predicts 4.5 3.5 2.5 4.0 and user 20 3.5 2.5 1.5 3.0 for items 1..4.
SavedModel hand_model() {
  SavedModel m;
  m.shape.arch = Arch::baseline;
  m.shape.n_users = 3;
  m.shape.n_items = 5;
  m.weights.tensors = {{tables::global_mean, {1}, {3.0f}},
                       {tables::user_bias, {3}, {0.0f, 0.5f, -0.5f}},
                       {tables::item_bias, {5}, {0.0f, 1.0f, 0.0f, -1.0f, 0.5f}}};
  m.vocabulary.user_ids = {-1, 10, 20};
  m.vocabulary.item_titles = {"#na#", "One (2001)", "Two (2002)", "Three (2003)", "Four (2004)"};
  m.vocabulary.item_movie_ids = {-1, 101, 102, 103, 104};
  RatingSet train;
  train.user = {1, 2, 2};
  train.item = {1, 2, 3};
  train.rating = {4, 3, 2};
  index_training_rows(train, 3, m);
  return m;
}

// Five rows: (userId, movieId, rating) = (10, 102, 2), (10, 103, 4), (20, 101, 3), (20, 104, 3) and
// a stranger (99, 101, 5). Predictions 3.5, 2.5, 3.5, 3.0 and, for the stranger (#na#, bias 0), 4.0.
RatingColumns hand_ratings() {
  RatingColumns r;
  r.user_id = {10, 10, 20, 20, 99};
  r.movie_id = {102, 103, 101, 104, 101};
  r.rating = {2, 4, 3, 3, 5};
  r.timestamp.assign(5, 0);
  return r;
}

TEST(Evaluation, RowsOfAFileAreTheModelsRowsWithStrangersAtRowZero) {
  const SavedModel m = hand_model();
  RatingColumns ratings = hand_ratings();
  ratings.movie_id[1] = 999;  // a movie the model does not know
  const EvaluationRows rows = rows_of_file(m, ratings);
  EXPECT_EQ(rows.user, (std::vector<std::int32_t>{1, 1, 2, 2, 0}));
  EXPECT_EQ(rows.item, (std::vector<std::int32_t>{2, 0, 1, 4, 1}));
  EXPECT_EQ(rows.user_id, ratings.user_id);
  EXPECT_EQ(rows.movie_id, ratings.movie_id);
  EXPECT_EQ(rows.rating, ratings.rating);
}

TEST(Evaluation, RatingMetricsArePredictionErrorsWorkedByHand) {
  const SavedModel m = hand_model();
  const Evaluation e = evaluate(m, rows_of_file(m, hand_ratings()), {});
  EXPECT_EQ(e.predictions, (std::vector<double>{3.5, 2.5, 3.5, 3.0, 4.0}));
  // Errors 1.5, 1.5, 0.5, 0, 1: SSE 5.75; actual mean 3.4, SST 5.2.
  EXPECT_TRUE(e.rating_metrics_apply);
  EXPECT_EQ(e.rating.rows, 5u);
  EXPECT_DOUBLE_EQ(e.rating.mse, 5.75 / 5);
  EXPECT_DOUBLE_EQ(e.rating.rmse, std::sqrt(5.75 / 5));
  EXPECT_DOUBLE_EQ(e.rating.mae, 4.5 / 5);
  EXPECT_NEAR(e.rating.r2, 1 - 5.75 / 5.2, 1e-12);
}

TEST(Evaluation, ColdRowsAreThoseWhoseUserOrItemTrainingNeverSaw) {
  const SavedModel m = hand_model();
  const Evaluation e = evaluate(m, rows_of_file(m, hand_ratings()), {});
  EXPECT_EQ(e.cold_users, 1u);  // the stranger 99
  EXPECT_EQ(e.cold_items, 1u);  // movie 104, in the vocabulary but never trained
}

TEST(Evaluation, RankingMetricsOfTopKListsWorkedByHand) {
  const SavedModel m = hand_model();
  EvaluationOptions o;
  o.k = 2;
  o.relevant_rating = 3;
  o.threads = 1;
  const Evaluation e = evaluate(m, rows_of_file(m, hand_ratings()), o);
  // Candidates are trained items the user did not rate in training. User 10: items 2 (3.5) then
  // 3 (2.5); relevant {3} (item 2's rating 2 is below 3): a hit at rank 2. User 20: item 1 alone;
  // relevant {1, 4}: a hit at rank 1. The stranger is not ranked.
  const double ndcg10 = (1 / std::log2(3.0)) / 1.0;
  const double ndcg20 = 1.0 / (1 + 1 / std::log2(3.0));
  EXPECT_EQ(e.ranking.users, 2u);
  EXPECT_EQ(e.ranking.k, 2);
  EXPECT_DOUBLE_EQ(e.ranking.precision, (0.5 + 0.5) / 2);
  EXPECT_DOUBLE_EQ(e.ranking.recall, (1.0 + 0.5) / 2);
  EXPECT_NEAR(e.ranking.ndcg, (ndcg10 + ndcg20) / 2, 1e-12);
  EXPECT_DOUBLE_EQ(e.ranking.map, (0.5 / 1 + 1.0 / 2) / 2);
  EXPECT_DOUBLE_EQ(e.ranking.hit_rate, 1.0);
  EXPECT_DOUBLE_EQ(e.ranking.coverage, 3.0 / 3);  // items 1, 2, 3 of the three trained
}

TEST(Evaluation, ARelevanceThresholdAboveEveryRatingRanksNoOne) {
  const SavedModel m = hand_model();
  EvaluationOptions o;
  o.relevant_rating = 5.5;
  const Evaluation e = evaluate(m, rows_of_file(m, hand_ratings()), o);
  EXPECT_EQ(e.ranking.users, 0u);
  EXPECT_EQ(e.rating.rows, 5u);  // the rating metrics still cover every row
}

TEST(Evaluation, PerUserMetricsAreEachUsersOwnInUserIdOrder) {
  const SavedModel m = hand_model();
  EvaluationOptions o;
  o.k = 2;
  o.relevant_rating = 3;
  const Evaluation e = evaluate(m, rows_of_file(m, hand_ratings()), o, /*per_user=*/true);
  ASSERT_EQ(e.per_user.size(), 3u);
  EXPECT_EQ(e.per_user[0].user_id, 10);
  EXPECT_DOUBLE_EQ(e.per_user[0].rating.mse, (2.25 + 2.25) / 2);
  EXPECT_TRUE(e.per_user[0].ranked);
  EXPECT_DOUBLE_EQ(e.per_user[0].ranking.recall, 1.0);
  EXPECT_EQ(e.per_user[1].user_id, 20);
  EXPECT_DOUBLE_EQ(e.per_user[1].rating.mse, (0.25 + 0) / 2);
  EXPECT_DOUBLE_EQ(e.per_user[1].ranking.recall, 0.5);
  EXPECT_EQ(e.per_user[2].user_id, 99);
  EXPECT_DOUBLE_EQ(e.per_user[2].rating.mse, 1.0);
  EXPECT_FALSE(e.per_user[2].ranked);
}

TEST(Evaluation, AModelThatScoresRatherThanPredictsHasNoRatingMetrics) {
  SavedModel m = hand_model();
  m.shape.arch = Arch::popularity;
  m.weights.tensors = {{tables::item_count, {5}, {0.0f, 1.0f, 1.0f, 1.0f, 0.0f}}};
  const Evaluation e = evaluate(m, rows_of_file(m, hand_ratings()), {});
  EXPECT_FALSE(e.rating_metrics_apply);
}

TEST(Evaluation, AModelWithoutARecordedSourceNeedsARatingsFile) {
  SavedModel m = hand_model();
  m.has_source = false;
  const Error e = test_support::expect_error([&] { validation_rows_of(m); });
  EXPECT_EQ(e.code(), ExitCode::data);
  EXPECT_NE(std::string(e.what()).find("give --ratings FILE"), std::string::npos) << e.what();
}

}  // namespace
}  // namespace collab
