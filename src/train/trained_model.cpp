#include "train/trained_model.h"

#include <algorithm>

namespace collab {

bool SavedModel::user_trained(std::int32_t user) const {
  auto u = static_cast<size_t>(user);
  return u + 1 < rated_offsets.size() && rated_offsets[u + 1] > rated_offsets[u];
}

std::vector<char> SavedModel::items_trained() const {
  std::vector<char> seen(vocabulary.item_rows(), 0);
  for (auto i : rated_items) seen[static_cast<size_t>(i)] = 1;
  return seen;
}

// Each user's items in ascending order, without sorting: the ratings bucketed by item first, then
// each item's users in item order, appended to their lists (two linear passes; sorting each
// user's list took most of a second at ml-25m's size).
void index_training_rows(const RatingSet& train, std::size_t user_rows, SavedModel& m) {
  std::size_t item_rows = 0;
  for (auto i : train.item) item_rows = std::max(item_rows, static_cast<size_t>(i) + 1);
  std::vector<std::int64_t> by_item(item_rows + 1, 0);
  for (auto i : train.item) ++by_item[static_cast<size_t>(i) + 1];
  for (size_t i = 0; i < item_rows; ++i) by_item[i + 1] += by_item[i];
  std::vector<std::int32_t> users_by_item(train.size());
  {
    std::vector<std::int64_t> next(by_item.begin(), by_item.end() - 1);
    for (size_t r = 0; r < train.size(); ++r)
      users_by_item[static_cast<size_t>(next[static_cast<size_t>(train.item[r])]++)] = train.user[r];
  }
  m.rated_offsets.assign(user_rows + 1, 0);
  for (auto u : train.user) ++m.rated_offsets[static_cast<size_t>(u) + 1];
  for (size_t u = 0; u < user_rows; ++u) m.rated_offsets[u + 1] += m.rated_offsets[u];
  m.rated_items.assign(train.size(), 0);
  std::vector<std::int64_t> next(m.rated_offsets.begin(), m.rated_offsets.end() - 1);
  for (size_t i = 0; i < item_rows; ++i)
    for (auto k = by_item[i]; k < by_item[i + 1]; ++k)
      m.rated_items[static_cast<size_t>(next[static_cast<size_t>(users_by_item[static_cast<size_t>(k)])]++)] =
          static_cast<std::int32_t>(i);
}

}  // namespace collab
