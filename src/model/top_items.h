// The top k unrated items of many users at once: `recommend --all-users` and the ranking metrics
// of `eval`. A block of users is scored against every candidate item with the item factors laid
// out factor-major, so that the inner loop runs over items in whole vectors with the users'
// factors held in registers; users are shared over threads in blocks and emitted in their order.
// Memory is bounded by the blocks: a few rows of scores per thread, never a users x items matrix.
#pragma once

#include <cstdint>
#include <functional>
#include <vector>

#include "model/interpret.h"

namespace collab {

struct TopItemsOptions {
  size_t k = 10;
  bool include_untrained = false;  // candidates: items with a trained embedding, unless this
  int threads = 0;                 // 0: every core this process may use
};

// Calls emit(user, items) for each of `users` in their order, items best first (by predicted
// rating; ties by item row), excluding what the user rated in training. The same lists as
// recommend_items, up to float rounding in the dot products.
void top_items_for_users(const SavedModel& model, const std::vector<std::int32_t>& users, const TopItemsOptions& options,
                         const std::function<void(std::int32_t, std::vector<ScoredItem>&)>& emit);

}  // namespace collab
