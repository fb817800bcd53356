#include "train/interactions.h"

namespace collab {
namespace {

// Counting sort of the positive rows by `key`, rows taken in the order of `rows`: stable, so a
// sort by item then by user leaves each user's items in increasing order.
std::vector<std::int32_t> stable_by(const std::vector<std::int32_t>& key, size_t key_rows,
                                    const std::vector<std::int32_t>& rows, std::vector<std::int64_t>& offset) {
  offset.assign(key_rows + 1, 0);
  for (auto r : rows) ++offset[static_cast<size_t>(key[static_cast<size_t>(r)]) + 1];
  for (size_t k = 0; k < key_rows; ++k) offset[k + 1] += offset[k];
  std::vector<std::int64_t> next(offset.begin(), offset.end() - 1);
  std::vector<std::int32_t> out(rows.size());
  for (auto r : rows) out[static_cast<size_t>(next[static_cast<size_t>(key[static_cast<size_t>(r)])]++)] = r;
  return out;
}

}  // namespace

Interactions interactions_of(const RatingSet& train, size_t user_rows, size_t item_rows, const TrainOptions& o) {
  Interactions x;
  x.user_rows = user_rows;
  x.item_rows = item_rows;
  std::vector<std::int32_t> positive;
  std::vector<char> item_seen(item_rows, 0), user_seen(user_rows, 0);
  for (size_t r = 0; r < train.size(); ++r) {
    item_seen[static_cast<size_t>(train.item[r])] = 1;
    user_seen[static_cast<size_t>(train.user[r])] = 1;
    if (is_positive(o, train.rating[r])) positive.push_back(static_cast<std::int32_t>(r));
  }
  for (size_t i = 1; i < item_rows; ++i)
    if (item_seen[i]) x.trained_items.push_back(static_cast<std::int32_t>(i));

  const std::vector<std::int32_t> by_item = stable_by(train.item, item_rows, positive, x.by_item_offset);
  const std::vector<std::int32_t> by_user = stable_by(train.user, user_rows, by_item, x.by_user_offset);
  // by_item is in item order, users within an item in training-row order: sort those by user too.
  const std::vector<std::int32_t> by_item_sorted = stable_by(train.item, item_rows, by_user, x.by_item_offset);
  for (auto r : by_user) {
    x.by_user_item.push_back(train.item[static_cast<size_t>(r)]);
    x.by_user_rating.push_back(train.rating[static_cast<size_t>(r)]);
  }
  for (auto r : by_item_sorted) {
    x.by_item_user.push_back(train.user[static_cast<size_t>(r)]);
    x.by_item_rating.push_back(train.rating[static_cast<size_t>(r)]);
  }
  for (size_t u = 0; u < user_rows; ++u) x.users_without_positives += user_seen[u] && x.count_of_user(u) == 0;
  return x;
}

}  // namespace collab
