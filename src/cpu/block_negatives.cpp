#include "cpu/block_negatives.h"

#include <algorithm>

#include "train/distributed.h"
#include "train/interactions.h"

namespace collab {

namespace {

// Where each block's items start in a list of every block's items, in block order; then the total.
std::vector<size_t> first_items(const std::vector<size_t>& block_items) {
  std::vector<size_t> first(block_items.size() + 1, 0);
  for (size_t b = 0; b < block_items.size(); ++b) first[b + 1] = first[b] + block_items[b];
  return first;
}

}  // namespace

BlockNegatives::BlockNegatives(const std::vector<std::vector<Example>>& train, const std::vector<size_t>& block_items,
                               size_t users, const TrainOptions& options, Communicator& comm)
    : train_(train), options_(options), users_(users), any_positive_(users, 0) {
  learn_trained_items(index_users(block_items), block_items, comm);
  count_triples(comm);
}

std::vector<char> BlockNegatives::index_users(const std::vector<size_t>& block_items) {
  const size_t blocks = train_.size();
  // Each stratum is sorted by user, then item: a user's ratings are one span, its items in order.
  offsets_.assign(blocks, std::vector<size_t>(users_ + 1, 0));
  positive_items_.assign(blocks, std::vector<std::uint32_t>(users_, 0));
  const std::vector<size_t> first_item = first_items(block_items);
  std::vector<char> trains_here(first_item[blocks], 0);
  for (size_t b = 0; b < blocks; ++b) {
    const std::vector<Example>& stratum = train_[b];
    std::vector<size_t>& offset = offsets_[b];
    for (size_t e = 0; e < stratum.size(); ++e) {
      const Example& x = stratum[e];
      const auto u = static_cast<size_t>(x.user_row);
      ++offset[u + 1];
      trains_here[first_item[b] + static_cast<size_t>(x.item_row) - users_] = 1;
      if (!is_positive(options_, x.rating)) continue;
      any_positive_[u] = 1;
      // A distinct item: the first positive rating of it in u's span (duplicates sit together).
      const bool repeat = e > 0 && stratum[e - 1].user_row == x.user_row && stratum[e - 1].item_row == x.item_row &&
                          is_positive(options_, stratum[e - 1].rating);
      if (!repeat) ++positive_items_[b][u];
    }
    for (size_t u = 0; u < users_; ++u) offset[u + 1] += offset[u];
  }
  return trains_here;
}

void BlockNegatives::learn_trained_items(const std::vector<char>& trains_here, const std::vector<size_t>& block_items,
                                         Communicator& comm) {
  // Which items any rank trains on: every rank's marks, joined.
  const auto ranks = static_cast<size_t>(comm.world_size());
  std::vector<char> all(trains_here.size() * ranks);
  comm.allgather_bytes(trains_here.data(), trains_here.size(), all.data());
  const std::vector<size_t> first_item = first_items(block_items);
  trained_.assign(block_items.size(), {});
  for (size_t b = 0; b < block_items.size(); ++b)
    for (size_t i = 0; i < block_items[b]; ++i) {
      bool trained = false;
      for (size_t r = 0; r < ranks && !trained; ++r) trained = all[r * trains_here.size() + first_item[b] + i] != 0;
      if (trained) trained_[b].push_back(static_cast<std::int32_t>(users_ + i));
    }
}

void BlockNegatives::count_triples(Communicator& comm) {
  // How many ratings make triples, and which users make none somewhere, over every rank.
  std::uint64_t mine[3] = {0, 0, 0};  // ratings with triples, training ratings, skipped users
  std::vector<char> skipped(users_, 0);
  for (size_t b = 0; b < train_.size(); ++b) {
    mine[1] += train_[b].size();
    for (const Example& x : train_[b]) {
      if (!is_positive(options_, x.rating)) continue;
      if (has_negatives(x.user_row, static_cast<int>(b))) ++mine[0];
      else skipped[static_cast<size_t>(x.user_row)] = 1;
    }
  }
  for (size_t u = 0; u < users_; ++u) {
    bool rated = false;
    for (size_t b = 0; b < train_.size() && !rated; ++b) rated = offsets_[b][u] != offsets_[b][u + 1];
    mine[2] += skipped[u] || (rated && !any_positive_[u]);
  }
  const auto ranks = static_cast<size_t>(comm.world_size());
  std::vector<std::uint64_t> sums(3 * ranks);
  comm.allgather_bytes(mine, sizeof mine, sums.data());
  std::uint64_t with_triples = 0, ratings = 0;
  for (size_t r = 0; r < ranks; ++r) {
    with_triples += sums[3 * r];
    ratings += sums[3 * r + 1];
    skipped_users_ += sums[3 * r + 2];
  }
  triples_per_rating_ = ratings == 0 ? 0.0
                                     : static_cast<double>(options_.negatives) * static_cast<double>(with_triples) /
                                           static_cast<double>(ratings);
}

const Example* BlockNegatives::first_of(std::int32_t u, int block) const {
  return train_[static_cast<size_t>(block)].data() + offsets_[static_cast<size_t>(block)][static_cast<size_t>(u)];
}

const Example* BlockNegatives::last_of(std::int32_t u, int block) const {
  return train_[static_cast<size_t>(block)].data() + offsets_[static_cast<size_t>(block)][static_cast<size_t>(u) + 1];
}

bool BlockNegatives::is_positive_for(std::int32_t u, std::int32_t item_row, int block) const {
  const Example* first = first_of(u, block);
  const Example* last = last_of(u, block);
  first = std::lower_bound(first, last, item_row, [](const Example& e, std::int32_t row) { return e.item_row < row; });
  for (; first != last && first->item_row == item_row; ++first)
    if (is_positive(options_, first->rating)) return true;
  return false;
}

bool BlockNegatives::has_negatives(std::int32_t u, int block) const {
  return positive_items_[static_cast<size_t>(block)][static_cast<size_t>(u)] < trained_[static_cast<size_t>(block)].size();
}

std::int32_t BlockNegatives::draw(std::int32_t u, int block, Rng& rng) const {
  const std::vector<std::int32_t>& candidates = trained_[static_cast<size_t>(block)];
  for (;;) {  // by rejection: u is positive on few of a block's items
    const std::int32_t j = candidates[static_cast<size_t>(rng.below(candidates.size()))];
    if (!is_positive_for(u, j, block)) return j;
  }
}

void BlockNegatives::draw_triples(const Example* batch, size_t bs, int block, Rng& rng,
                                  std::vector<BprTriple>& out) const {
  for (size_t b = 0; b < bs; ++b) {
    const Example& x = batch[b];
    if (!is_positive(options_, x.rating) || !has_negatives(x.user_row, block)) continue;
    for (int n = 0; n < options_.negatives; ++n) out.push_back({x.user_row, x.item_row, draw(x.user_row, block, rng)});
  }
}

std::vector<BprTriple> BlockNegatives::validation_triples(const std::vector<Example>& valid, int block, Rng& rng) const {
  std::vector<BprTriple> triples;
  for (const Example& x : valid) {
    if (!is_positive(options_, x.rating) || !any_positive_[static_cast<size_t>(x.user_row)] ||
        !has_negatives(x.user_row, block))
      continue;
    triples.push_back({x.user_row, x.item_row, draw(x.user_row, block, rng)});
  }
  return triples;
}

}  // namespace collab
