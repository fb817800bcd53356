#include "cpu/block_negatives.h"

#include <algorithm>

#include "train/distributed.h"
#include "train/interactions.h"

namespace collab {

BlockNegatives::BlockNegatives(const std::vector<std::vector<Example>>& train, const std::vector<size_t>& block_items,
                               size_t users, const TrainOptions& options, Communicator& comm)
    : train_(train), options_(options), users_(users), any_positive_(users, 0) {
  const size_t blocks = train.size();
  // Each stratum is sorted by user, then item: a user's ratings are one span, its items in order.
  offsets_.assign(blocks, std::vector<size_t>(users + 1, 0));
  positive_items_.assign(blocks, std::vector<std::uint32_t>(users, 0));
  std::vector<char> trains_here;  // per item of every block, in block order: this rank has a rating of it
  std::vector<size_t> first_item(blocks + 1, 0);
  for (size_t b = 0; b < blocks; ++b) first_item[b + 1] = first_item[b] + block_items[b];
  trains_here.assign(first_item[blocks], 0);
  for (size_t b = 0; b < blocks; ++b) {
    const std::vector<Example>& stratum = train[b];
    std::vector<size_t>& offset = offsets_[b];
    for (size_t e = 0; e < stratum.size(); ++e) {
      const Example& x = stratum[e];
      const auto u = static_cast<size_t>(x.user_row);
      ++offset[u + 1];
      trains_here[first_item[b] + static_cast<size_t>(x.item_row) - users] = 1;
      if (!is_positive(options, x.rating)) continue;
      any_positive_[u] = 1;
      // A distinct item: the first positive rating of it in u's span (duplicates sit together).
      const bool repeat = e > 0 && stratum[e - 1].user_row == x.user_row && stratum[e - 1].item_row == x.item_row &&
                          is_positive(options, stratum[e - 1].rating);
      if (!repeat) ++positive_items_[b][u];
    }
    for (size_t u = 0; u < users; ++u) offset[u + 1] += offset[u];
  }
  // Which items any rank trains on: every rank's marks, joined.
  const auto ranks = static_cast<size_t>(comm.world_size());
  std::vector<char> all(trains_here.size() * ranks);
  comm.allgather_bytes(trains_here.data(), trains_here.size(), all.data());
  trained_.assign(blocks, {});
  for (size_t b = 0; b < blocks; ++b)
    for (size_t i = 0; i < block_items[b]; ++i) {
      bool trained = false;
      for (size_t r = 0; r < ranks && !trained; ++r) trained = all[r * trains_here.size() + first_item[b] + i] != 0;
      if (trained) trained_[b].push_back(static_cast<std::int32_t>(users + i));
    }
  // How many ratings make triples, and which users make none somewhere, over every rank.
  std::uint64_t mine[3] = {0, 0, 0};  // ratings with triples, training ratings, skipped users
  std::vector<char> skipped(users, 0);
  for (size_t b = 0; b < blocks; ++b) {
    mine[1] += train[b].size();
    for (const Example& x : train[b]) {
      if (!is_positive(options, x.rating)) continue;
      if (has_negatives(x.user_row, static_cast<int>(b))) ++mine[0];
      else skipped[static_cast<size_t>(x.user_row)] = 1;
    }
  }
  for (size_t u = 0; u < users; ++u) {
    bool rated = false;
    for (size_t b = 0; b < blocks && !rated; ++b) rated = offsets_[b][u] != offsets_[b][u + 1];
    mine[2] += skipped[u] || (rated && !any_positive_[u]);
  }
  std::vector<std::uint64_t> sums(3 * ranks);
  comm.allgather_bytes(mine, sizeof mine, sums.data());
  std::uint64_t with_triples = 0, ratings = 0;
  for (size_t r = 0; r < ranks; ++r) {
    with_triples += sums[3 * r];
    ratings += sums[3 * r + 1];
    skipped_users_ += sums[3 * r + 2];
  }
  triples_per_rating_ = ratings == 0 ? 0.0
                                     : static_cast<double>(options.negatives) * static_cast<double>(with_triples) /
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
