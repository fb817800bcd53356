// The index of each user's training items that a saved model carries (recommend leaves them out).
#include "train/trained_model.h"

#include <gtest/gtest.h>

#include <algorithm>

#include "support/random.h"

using namespace collab;

TEST(TrainedModel, IndexListsEachUsersItemsInAscendingOrder) {
  // Ratings in a shuffled order, as a split leaves them; users 0 and 5 have none.
  RatingSet train;
  Rng rng(4);
  for (std::int32_t u = 1; u < 5; ++u)
    for (std::int32_t i = 1; i < 40; ++i)
      if (rng.below(3) == 0) train.user.push_back(u), train.item.push_back(i), train.rating.push_back(3.0f);
  std::vector<size_t> order(train.size());
  for (size_t k = 0; k < order.size(); ++k) order[k] = k;
  rng.shuffle(order);
  RatingSet shuffled;
  for (size_t k : order)
    shuffled.user.push_back(train.user[k]), shuffled.item.push_back(train.item[k]), shuffled.rating.push_back(3.0f);

  SavedModel m;
  index_training_rows(shuffled, 6, m);
  ASSERT_EQ(m.rated_offsets.size(), 7u);
  EXPECT_EQ(m.rated_offsets[0], 0);
  EXPECT_EQ(m.rated_offsets[1], 0);  // user 0
  EXPECT_EQ(m.rated_offsets[6], m.rated_offsets[5]);  // user 5
  for (std::int32_t u = 0; u < 6; ++u) {
    std::vector<std::int32_t> want;
    for (size_t k = 0; k < train.size(); ++k)
      if (train.user[k] == u) want.push_back(train.item[k]);  // ascending: made that way
    const std::vector<std::int32_t> got(m.rated_items.begin() + m.rated_offsets[static_cast<size_t>(u)],
                                        m.rated_items.begin() + m.rated_offsets[static_cast<size_t>(u) + 1]);
    EXPECT_EQ(got, want) << "user " << u;
    EXPECT_EQ(m.user_trained(u), !want.empty());
  }
}
