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

void index_training_rows(const RatingSet& train, std::size_t user_rows, SavedModel& m) {
  m.rated_offsets.assign(user_rows + 1, 0);
  for (auto u : train.user) ++m.rated_offsets[static_cast<size_t>(u) + 1];
  for (size_t u = 0; u < user_rows; ++u) m.rated_offsets[u + 1] += m.rated_offsets[u];
  m.rated_items.assign(train.size(), 0);
  std::vector<std::int64_t> next(m.rated_offsets.begin(), m.rated_offsets.end() - 1);
  for (size_t r = 0; r < train.size(); ++r)
    m.rated_items[static_cast<size_t>(next[static_cast<size_t>(train.user[r])]++)] = train.item[r];
  for (size_t u = 0; u < user_rows; ++u)
    std::sort(m.rated_items.begin() + m.rated_offsets[u], m.rated_items.begin() + m.rated_offsets[u + 1]);
}

}  // namespace collab
