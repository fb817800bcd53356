#include <gtest/gtest.h>

#include "model/interpret.h"
#include "test_support.h"

using namespace collab;

namespace {
// Four items whose answers are known: item biases -0.5, 0.0, 0.7, 0.3 (item 4 never trained);
// item factors make 1 and 2 point the same way and 3 the opposite way.
SavedModel known_model() {
  SavedModel m;
  m.shape = {{Arch::dot_bias, 2, 0.0f, 5.5f, {}}, 3, 5};
  m.vocabulary.user_ids = {-1, 10, 20};
  m.vocabulary.item_titles = {"#na#", "Low (2000)", "Middle (2001)", "High (2002)", "Unseen (2003)"};
  m.vocabulary.item_movie_ids = {-1, 1, 2, 3, 4};
  m.weights.tensors = {{"user_factors", {3, 2}, {0, 0, 1, 0, 0, 1}},
                       {"item_factors", {5, 2}, {0, 0, 1, 0.1f, 2, 0.3f, -1, 0, 5, 5}},
                       {"user_bias", {3}, {0, 0.2f, -0.2f}},
                       {"item_bias", {5}, {0, -0.5f, 0.0f, 0.7f, 0.3f}}};
  TrainValidSplit s;
  s.train = {{1, 2, 2, 2}, {1, 1, 2, 3}, {4, 3, 5, 2}};
  index_training_rows(s.train, 3, m);
  return m;
}
}  // namespace

TEST(Interpret, UserBiasesAreNamedByUserIdWhenUsersOutnumberItems) {
  SavedModel m = known_model();
  m.vocabulary.item_titles.resize(2), m.vocabulary.item_movie_ids.resize(2);  // one item, two users
  const auto users = extreme_biases(m, 2, /*users=*/true, /*include_untrained=*/true);
  ASSERT_EQ(users.highest.size(), 2u);
  EXPECT_EQ(users.highest[0].name, "10");
  EXPECT_EQ(users.highest[1].name, "20");
}

TEST(Interpret, BiasExtremesSkipUntrainedItemsUnlessAsked) {
  const SavedModel m = known_model();
  auto e = extreme_biases(m, 2, false, false);
  ASSERT_EQ(e.lowest.size(), 2u);
  EXPECT_EQ(e.lowest[0].name, "Low (2000)");
  EXPECT_EQ(e.lowest[1].name, "Middle (2001)");
  EXPECT_EQ(e.highest[0].name, "High (2002)");
  EXPECT_NEAR(e.highest[0].value, 0.7, 1e-6);
  auto all = extreme_biases(m, 2, false, true);
  EXPECT_EQ(all.highest[1].name, "Unseen (2003)");
  auto users = extreme_biases(m, 1, true, false);
  EXPECT_EQ(users.highest[0].name, "10");
  EXPECT_EQ(users.lowest[0].name, "20");
}

TEST(Interpret, SimilarItemsRankByCosine) {
  const SavedModel m = known_model();
  auto s = similar_items(m, 1, 3, false);
  ASSERT_EQ(s.size(), 2u);
  EXPECT_EQ(s[0].name, "Middle (2001)");
  EXPECT_GT(s[0].value, 0.99);
  EXPECT_EQ(s[1].name, "High (2002)");
  EXPECT_NEAR(s[1].value, -1 / std::sqrt(1.01), 1e-6);
}

TEST(Interpret, PredictionIsSigmoidRangeOfDotPlusBiases) {
  const SavedModel m = known_model();
  const double z = 1 * 2 + 0 * 0.3 + 0.2 + 0.0;
  EXPECT_NEAR(predict_rating(m, 1, 2), 5.5 / (1 + std::exp(-z)), 1e-5);
}

TEST(Interpret, RecommendationsSkipWhatTheUserRated) {
  const SavedModel m = known_model();
  auto r = recommend_items(m, 1, 5, false);  // user 10 rated item 1
  ASSERT_EQ(r.size(), 2u);
  EXPECT_EQ(r[0].name, "Middle (2001)");
  EXPECT_EQ(r[1].name, "High (2002)");
  EXPECT_TRUE(recommend_items(m, 2, 5, false).empty());  // user 20 rated every trained item
}

TEST(Interpret, PcaFindsTheDirectionOfMostVariance) {
  SavedModel m;
  m.shape = {{Arch::dot_bias, 2, 0.0f, 5.5f, {}}, 2, 7};
  m.vocabulary.user_ids = {-1, 1};
  m.vocabulary.item_titles = {"#na#", "a", "b", "c", "d", "e", "f"};
  m.vocabulary.item_movie_ids = {-1, 1, 2, 3, 4, 5, 6};
  // Points along the diagonal, with a little spread across it.
  m.weights.tensors = {{"item_factors", {7, 2}, {0, 0, -3, -3.1f, -2, -1.9f, -1, -1, 1, 1.1f, 2, 2, 3, 2.9f}}};
  m.rated_offsets = {0, 0, 6};
  m.rated_items = {1, 2, 3, 4, 5, 6};
  ItemPca p = item_factor_pca(m, 2, 0);
  ASSERT_EQ(p.items.size(), 6u);
  EXPECT_GT(p.explained_variance[0], 0.99);
  // First coordinates are the projections on (1,1)/sqrt(2) up to the centre.
  for (size_t i = 0; i < p.items.size(); ++i) {
    const auto& f = m.weights.get("item_factors").values;
    const double x = f[static_cast<size_t>(p.items[i]) * 2], y = f[static_cast<size_t>(p.items[i]) * 2 + 1];
    EXPECT_NEAR(std::fabs(p.coordinates[i][0]), std::fabs((x + y) / std::sqrt(2.0)), 0.05);
  }
  EXPECT_EQ(test_support::expect_error([&] { item_factor_pca(m, 3, 0); }).code(), ExitCode::usage);
}

TEST(Interpret, ModelsWithoutBiasesSaySo) {
  SavedModel m = known_model();
  m.shape.arch = Arch::dot;
  Error e = test_support::expect_error([&] { extreme_biases(m, 5, false, false); });
  EXPECT_EQ(e.code(), ExitCode::data);
  EXPECT_NE(std::string(e.what()).find("--arch dot"), std::string::npos);
}
