#include "cpu/shard_plan.h"

#include <algorithm>
#include <numeric>

#include "support/random.h"

namespace collab {
namespace {

constexpr std::uint64_t kUserBlockStream = 0x5348'4152'4401;  // "SHARD" and a purpose
constexpr std::uint64_t kItemBlockStream = 0x5348'4152'4402;
constexpr std::uint64_t kShiftStream = 0x5348'4152'4403;

// Each of `count.size()` keys into one of `ranks` blocks: walked in an order drawn from the seed,
// a key goes to the block its running share of the ratings falls in, so that the blocks hold
// about as many ratings each whatever the keys' sizes.
std::vector<std::int32_t> balanced_blocks(const std::vector<size_t>& count, int ranks, std::uint64_t seed,
                                          std::uint64_t stream) {
  std::vector<std::int32_t> order(count.size());
  std::iota(order.begin(), order.end(), 0);
  Rng rng(seed, stream);
  rng.shuffle(order);
  const size_t total = std::accumulate(count.begin(), count.end(), size_t{0});
  std::vector<std::int32_t> block(count.size(), 0);
  size_t before = 0;
  for (size_t k = 0; k < order.size(); ++k) {
    const auto key = static_cast<size_t>(order[k]);
    // Keys without ratings spread by their place in the order instead.
    const double at = total ? (static_cast<double>(before) + 0.5 * static_cast<double>(count[key])) / static_cast<double>(total)
                            : (static_cast<double>(k) + 0.5) / static_cast<double>(order.size());
    block[key] = std::min(ranks - 1, static_cast<int>(at * ranks));
    before += count[key];
  }
  return block;
}

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
    : ranks_(ranks) {
  std::vector<size_t> per_user(users, 0), per_item(items, 0);
  for (size_t r = 0; r < train.size(); ++r) {
    ++per_user[static_cast<size_t>(train.user[r])];
    ++per_item[static_cast<size_t>(train.item[r])];
  }
  user_block_ = balanced_blocks(per_user, ranks, seed, kUserBlockStream);
  item_block_ = balanced_blocks(per_item, ranks, seed, kItemBlockStream);
  list_blocks(user_block_, ranks, block_users_, user_local_);
  list_blocks(item_block_, ranks, block_items_, item_local_);
  train_count_.assign(static_cast<size_t>(ranks * ranks), 0);
  for (size_t r = 0; r < train.size(); ++r)
    ++train_count_[static_cast<size_t>(user_block_[static_cast<size_t>(train.user[r])] * ranks +
                                       item_block_[static_cast<size_t>(train.item[r])])];
}

size_t ShardPlan::most_items() const {
  size_t most = 0;
  for (const auto& list : block_items_) most = std::max(most, list.size());
  return most;
}

std::vector<std::vector<Example>> ShardPlan::strata(const RatingSet& set, int rank) const {
  std::vector<std::vector<Example>> out(static_cast<size_t>(ranks_));
  const auto users = static_cast<std::int32_t>(users_of(rank).size());
  for (size_t r = 0; r < set.size(); ++r) {
    const auto user = static_cast<size_t>(set.user[r]), item = static_cast<size_t>(set.item[r]);
    if (user_block_[user] != rank) continue;
    out[static_cast<size_t>(item_block_[item])].push_back({user_local_[user], users + item_local_[item], set.rating[r]});
  }
  return out;
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
