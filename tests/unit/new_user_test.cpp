#include <gtest/gtest.h>

#include "model/interpret.h"
#include "model/new_user.h"
#include "test_support.h"

using namespace collab;

namespace {
// Two items, one factor each, no biases that matter: item 1 is liked by "positive" users, item 2
// by "negative" ones.
SavedModel two_item_model() {
  SavedModel m;
  m.shape = {{Arch::dot_bias, 1, 0.0f, 5.5f, {}}, 2, 4};
  m.options.lr = 5e-2;
  m.options.wd = 0.01;
  m.vocabulary.user_ids = {-1, 10};
  m.vocabulary.item_titles = {"#na#", "Liked (2000)", "Disliked (2000)", "Unrated (2000)"};
  m.vocabulary.item_movie_ids = {-1, 1, 2, 3};
  m.weights.tensors = {{"user_factors", {2, 1}, {0, 1}},
                       {"item_factors", {4, 1}, {0, 1.5f, -1.5f, 1.5f}},
                       {"user_bias", {2}, {0, 0}},
                       {"item_bias", {4}, {0, 0, 0, 0}}};
  m.rated_offsets = {0, 0, 1};
  m.rated_items = {1};
  return m;
}
}  // namespace

TEST(NewUser, FittedFactorsFollowTheRatingsWithTheItemsHeldFixed) {
  SavedModel m = two_item_model();
  const std::vector<float> items_before = m.weights.get(tables::item_factors).values;
  const std::int32_t row = add_fitted_user(m, {{1, 5.0f}, {2, 1.0f}});
  EXPECT_EQ(row, 2);
  EXPECT_EQ(m.weights.get(tables::item_factors).values, items_before);
  EXPECT_GT(m.weights.get(tables::user_factors).values[2], 0.0f);  // likes what positive users like
  EXPECT_GT(predict_rating(m, row, 3), 2.75);                     // the unrated "liked" kind: above middle
  // Their rated items are left out of their recommendations.
  const auto list = recommend_items(m, row, 5, true);
  ASSERT_EQ(list.size(), 1u);
  EXPECT_EQ(list[0].index, 3);
}

TEST(NewUser, AnUnknownTitleIsNamedWithItsLine) {
  const SavedModel m = two_item_model();
  PersonRatings p;
  p.keys = {"Liked", "Nothing Like It"};
  p.rating = {5, 1};
  p.line = {2, 3};
  Error e = test_support::expect_error([&] { match_person_ratings(m, p, "me.csv"); });
  EXPECT_EQ(e.code(), ExitCode::data);
  EXPECT_NE(std::string(e.what()).find("me.csv line 3: field 'title'"), std::string::npos) << e.what();
}
