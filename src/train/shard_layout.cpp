#include "train/shard_layout.h"

#include <algorithm>
#include <numeric>

#include "support/random.h"

namespace collab {
namespace {

constexpr std::uint64_t kUserBlockStream = 0x5348'4152'4401;  // "SHARD" and a purpose
constexpr std::uint64_t kItemBlockStream = 0x5348'4152'4402;

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

}  // namespace

void ShardLayout::count_training(const std::int32_t* user, const std::int32_t* item, size_t n) {
  for (size_t r = 0; r < n; ++r)
    ++train_count[static_cast<size_t>(user_block[static_cast<size_t>(user[r])] * ranks +
                                      item_block[static_cast<size_t>(item[r])])];
}

ShardLayout shard_layout(const std::vector<size_t>& per_user, const std::vector<size_t>& per_item, int ranks,
                         std::uint64_t seed) {
  ShardLayout layout;
  layout.ranks = ranks;
  layout.user_block = balanced_blocks(per_user, ranks, seed, kUserBlockStream);
  layout.item_block = balanced_blocks(per_item, ranks, seed, kItemBlockStream);
  layout.train_count.assign(static_cast<size_t>(ranks * ranks), 0);
  return layout;
}

ShardLayout shard_layout(size_t users, size_t items, const RatingSet& train, size_t valid_total, int ranks,
                         std::uint64_t seed) {
  std::vector<size_t> per_user(users, 0), per_item(items, 0);
  for (size_t r = 0; r < train.size(); ++r) {
    ++per_user[static_cast<size_t>(train.user[r])];
    ++per_item[static_cast<size_t>(train.item[r])];
  }
  ShardLayout layout = shard_layout(per_user, per_item, ranks, seed);
  layout.count_training(train.user.data(), train.item.data(), train.size());
  layout.valid_total = valid_total;
  return layout;
}

}  // namespace collab
