#include <gtest/gtest.h>

#include "model/interpret.h"
#include "model/top_items.h"
#include "test_support.h"

using namespace collab;

namespace {
// Six users, twenty items, three factors, drawn at random; items 5 and 9 are exact twins, so
// their scores tie for every user.
SavedModel random_model() {
  SavedModel m;
  m.shape = {{Arch::dot_bias, 3, 0.0f, 5.5f, {}}, 7, 21};
  m.weights = initial_embedding_weights(m.shape, 1.0f, 5);
  auto& items = m.weights.tensors[1].values;
  for (size_t j = 0; j < 3; ++j) items[9 * 3 + j] = items[5 * 3 + j];
  m.weights.tensors[3].values[9] = m.weights.tensors[3].values[5];
  m.vocabulary.user_ids = {-1, 1, 2, 3, 4, 5, 6};
  for (int i = 0; i < 21; ++i) m.vocabulary.item_titles.push_back("Item " + std::to_string(i));
  m.vocabulary.item_movie_ids.assign(21, 0);
  TrainValidSplit s;
  for (std::int32_t u = 1; u <= 6; ++u)
    for (std::int32_t i = 1; i <= 20; i += u) s.train.user.push_back(u), s.train.item.push_back(i), s.train.rating.push_back(3);
  index_training_rows(s.train, 7, m);
  return m;
}
}  // namespace

TEST(TopItems, EveryUsersListIsRecommendItemsListWithTiesInItemOrder) {
  const SavedModel m = random_model();
  for (int threads : {1, 2}) {
    TopItemsOptions o;
    o.k = 20;  // longer than some users' candidate lists
    o.threads = threads;
    std::vector<std::int32_t> users = {1, 2, 3, 4, 5, 6};
    size_t next = 0;
    top_items_for_users(m, users, o, [&](std::int32_t user, std::vector<ScoredItem>& list) {
      EXPECT_EQ(user, users[next++]);
      const auto expected = recommend_items(m, user, o.k, false);
      ASSERT_EQ(list.size(), expected.size()) << user;
      for (size_t r = 0; r < list.size(); ++r) {
        EXPECT_EQ(list[r].index, expected[r].index) << "user " << user << " rank " << r;
        EXPECT_NEAR(list[r].value, expected[r].value, 1e-5);
      }
      for (size_t r = 0; r + 1 < list.size(); ++r) {  // the twins: 5 before 9 wherever they meet
        if (list[r].index == 9) {
          EXPECT_NE(list[r + 1].index, 5);
        }
      }
    });
    EXPECT_EQ(next, users.size());
  }
}
