#include "cpu/shard_plan.h"

#include <algorithm>
#include <numeric>

#include "support/random.h"

namespace collab {
namespace {

constexpr std::uint64_t kShiftStream = 0x5348'4152'4403;  // "SHARD" and a purpose (shard_layout.cpp has 01, 02)

// The keys of each block in increasing order, and each key's place in its block's list.
void list_blocks(const std::vector<std::int32_t>& block, int ranks, std::vector<std::vector<std::int32_t>>& members,
                 std::vector<std::int32_t>& local) {
  members.assign(static_cast<size_t>(ranks), {});
  local.resize(block.size());
  for (size_t key = 0; key < block.size(); ++key) {
    auto& list = members[static_cast<size_t>(block[key])];
    local[key] = static_cast<std::int32_t>(list.size());
    list.push_back(static_cast<std::int32_t>(key));
  }
}

}  // namespace

ShardPlan::ShardPlan(size_t users, size_t items, const RatingSet& train, int ranks, std::uint64_t seed)
    : ShardPlan(shard_layout(users, items, train, 0, ranks, seed)) {}

ShardPlan::ShardPlan(ShardLayout layout) : ranks_(layout.ranks), layout_(std::move(layout)) {
  list_blocks(layout_.user_block, ranks_, block_users_, user_local_);
  list_blocks(layout_.item_block, ranks_, block_items_, item_local_);
}

size_t ShardPlan::most_items() const {
  size_t most = 0;
  for (const auto& list : block_items_) most = std::max(most, list.size());
  return most;
}

namespace {

// Sorted by row (then rating): the same stratum whatever order its ratings came in.
void sort_stratum(std::vector<Example>& stratum) {
  std::sort(stratum.begin(), stratum.end(), [](const Example& a, const Example& b) {
    return a.user_row != b.user_row ? a.user_row < b.user_row
           : a.item_row != b.item_row ? a.item_row < b.item_row
                                      : a.rating < b.rating;
  });
}

}  // namespace

std::vector<std::vector<Example>> ShardPlan::strata(const RatingSet& set, int rank) const {
  std::vector<std::vector<Example>> train, valid;
  strata([&set](const EngineSetup::RatingFn& fn) {
    for (size_t r = 0; r < set.size(); ++r) fn(set.user[r], set.item[r], set.rating[r], true);
  }, rank, train, valid);
  return train;
}

void ShardPlan::strata(const std::function<void(const EngineSetup::RatingFn&)>& visit, int rank,
                       std::vector<std::vector<Example>>& train, std::vector<std::vector<Example>>& valid) const {
  const auto blocks = static_cast<size_t>(ranks_);
  std::vector<size_t> count(2 * blocks, 0);  // training strata, then validation's
  visit([&](std::int32_t user, std::int32_t item, float, bool trains) {
    if (layout_.user_block[static_cast<size_t>(user)] == rank)
      ++count[(trains ? 0 : blocks) + static_cast<size_t>(layout_.item_block[static_cast<size_t>(item)])];
  });
  train.assign(blocks, {});
  valid.assign(blocks, {});
  for (size_t b = 0; b < blocks; ++b) {
    train[b].reserve(count[b]);  // exactly: growing by doubling would leave up to half unused
    valid[b].reserve(count[blocks + b]);
  }
  const auto users = static_cast<std::int32_t>(users_of(rank).size());
  visit([&](std::int32_t user, std::int32_t item, float rating, bool trains) {
    const auto u = static_cast<size_t>(user), i = static_cast<size_t>(item);
    if (layout_.user_block[u] != rank) return;
    (trains ? train : valid)[static_cast<size_t>(layout_.item_block[i])].push_back(
        {user_local_[u], users + item_local_[i], rating});
  });
  for (auto& stratum : train) sort_stratum(stratum);
  for (auto& stratum : valid) sort_stratum(stratum);
}

std::vector<int> shift_order(std::uint64_t seed, int epoch, int ranks) {
  std::vector<int> order(static_cast<size_t>(ranks));
  std::iota(order.begin(), order.end(), 0);
  Rng rng(seed, kShiftStream + static_cast<std::uint64_t>(epoch));
  rng.shuffle(order);
  return order;
}

size_t local_batch_size(size_t batch_size, int rank, int ranks) {
  const auto r = static_cast<size_t>(rank), n = static_cast<size_t>(ranks);
  return batch_size * (r + 1) / n - batch_size * r / n;
}

}  // namespace collab
