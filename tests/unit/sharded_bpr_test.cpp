// Sharded BPR (--dist shard --loss bpr; cpu/block_negatives.h) with its ranks as threads of the
// test: a rank's negatives are items of the block it holds that train somewhere and that the user
// has no positive for, never anything else; the ranks end on the same bits run after run and
// after a resume from a checkpoint; and they learn to rank as one process does, within noise.
#include <gtest/gtest.h>

#include <atomic>
#include <cmath>
#include <set>
#include <utility>

#include "cpu/block_negatives.h"
#include "cpu/shard_plan.h"
#include "in_process_ranks.h"
#include "sharded_runs.h"
#include "pipeline/engine_factory.h"
#include "test_support.h"
#include "train/fit.h"
#include "train/fit_passes.h"

namespace collab {
namespace {

constexpr int kUsers = 120, kItems = 90;

// Three tastes: a user rates half of its group's items high and a few others low, so that there
// is a ranking to learn (positives are ratings of 3 and more).
EncodedRatings taste_groups() {
  EncodedRatings d = test_support::synthetic_ratings(kUsers, kItems, 0.0, 5);  // the vocabulary alone
  Rng rng(5, 1);
  for (int u = 0; u < kUsers; ++u)
    for (int i = 0; i < kItems; ++i) {
      const bool liked = u % 3 == i % 3;
      if (rng.uniform() >= (liked ? 0.5 : 0.1)) continue;
      d.user.push_back(u + 1);
      d.item.push_back(i + 1);
      d.rating.push_back(liked ? 4.5f : rng.uniform() < 0.3 ? 3.5f : 1.5f);
    }
  return d;
}

struct Data {
  EncodedRatings ratings = taste_groups();
  TrainValidSplit split = random_split(ratings, 0.2, 2);
};

TrainOptions bpr_options(int epochs) {
  TrainOptions o;
  o.optimizer = OptimizerKind::sparse_adam;
  o.loss = Loss::bpr;
  o.model.implicit = true;
  o.positive_rating = 3.0f;  // some training ratings are not positives
  o.negatives = 2;
  o.epochs = epochs;
  o.lr = 3e-2;
  o.batch_size = 32;
  o.model.factors = 8;
  o.seed = 11;
  return o;
}

TEST(BlockNegatives, DrawsOnlyTrainedItemsOfTheHeldBlockThatTheUserHasNoPositiveFor) {
  Data d;
  const TrainOptions o = bpr_options(1);
  const int ranks = 2;
  const ShardPlan plan(kUsers + 1, kItems + 1, d.split.train, ranks, o.seed);
  std::set<std::pair<std::int32_t, std::int32_t>> positives;  // global (user, item)
  std::set<std::int32_t> trained;                            // global items
  size_t positive_ratings = 0;
  for (size_t r = 0; r < d.split.train.size(); ++r) {
    trained.insert(d.split.train.item[r]);
    if (d.split.train.rating[r] >= o.positive_rating) {
      positives.insert({d.split.train.user[r], d.split.train.item[r]});
      ++positive_ratings;
    }
  }
  ASSERT_GT(positive_ratings, 0u);
  ASSERT_LT(positive_ratings, d.split.train.size());
  std::vector<size_t> block_items;
  for (int b = 0; b < ranks; ++b) block_items.push_back(plan.items_of(b).size());
  test_support::InProcessRanks group(ranks);
  std::vector<std::string> failures(ranks);
  std::vector<double> per_rating(ranks);
  group.run([&](int rank) {
    const auto strata = plan.strata(d.split.train, rank);
    const size_t users = plan.users_of(rank).size();
    const BlockNegatives negatives(strata, block_items, users, o, group.rank(rank));
    per_rating[static_cast<size_t>(rank)] = negatives.triples_per_rating();
    Rng rng(3, rank);
    for (int block = 0; block < ranks; ++block) {
      std::vector<BprTriple> triples;
      const auto& stratum = strata[static_cast<size_t>(block)];
      for (int round = 0; round < 20; ++round) negatives.draw_triples(stratum.data(), stratum.size(), block, rng, triples);
      size_t positives_in_stratum = 0;
      for (const Example& e : stratum) positives_in_stratum += e.rating >= o.positive_rating;
      // Every user here has items of the block left to draw: every positive makes --negatives triples.
      if (triples.size() != 20 * positives_in_stratum * static_cast<size_t>(o.negatives))
        failures[static_cast<size_t>(rank)] += "triples of block " + std::to_string(block) + "; ";
      std::set<std::int32_t> drawn;
      for (const BprTriple& t : triples) {
        const std::int32_t user = plan.users_of(rank)[static_cast<size_t>(t.user)];
        const auto local = static_cast<size_t>(t.negative) - users;
        if (t.negative < static_cast<std::int32_t>(users) || local >= plan.items_of(block).size()) {
          failures[static_cast<size_t>(rank)] += "a negative outside the held block; ";
          continue;
        }
        const std::int32_t item = plan.items_of(block)[local];
        drawn.insert(item);
        if (positives.count({user, item})) failures[static_cast<size_t>(rank)] += "a positive drawn as a negative; ";
        if (!trained.count(item)) failures[static_cast<size_t>(rank)] += "an item no rank trains on; ";
      }
      // Uniform over the block's candidates: 20 rounds reach nearly all of them.
      size_t candidates = 0;
      for (std::int32_t item : plan.items_of(block)) candidates += trained.count(item);
      if (drawn.size() + 3 < candidates) failures[static_cast<size_t>(rank)] += "few candidates drawn; ";
    }
  });
  for (const std::string& f : failures) EXPECT_EQ(f, "");
  EXPECT_EQ(per_rating[0], per_rating[1]);
  EXPECT_NEAR(per_rating[0],
              o.negatives * static_cast<double>(positive_ratings) / static_cast<double>(d.split.train.size()), 1e-12);
}

std::vector<test_support::RankResult> train_sharded(const Data& d, int ranks, const TrainOptions& o,
                                                  const std::string& checkpoint = "", int stop_after = 0) {
  return test_support::train_sharded(d.split, kUsers, kItems, ranks, o, checkpoint, stop_after);
}

TEST(ShardedBpr, RanksEndOnTheSameBitsRunAfterRunAndLearnToRankAsOneProcess) {
  Data d;
  const TrainOptions o = bpr_options(6);
  EngineSetup s = test_support::synthetic_setup(d.split, Arch::dot_bias, kUsers, kItems, o.model.factors, o.seed);
  s.options = o;
  auto one = make_engine(s, "cpu", "cpu");
  const double one_loss = fit_one_cycle(*one, d.split.train.size(), o, {}, true).back().valid_loss;
  for (int ranks : {2, 3}) {
    const auto first = train_sharded(d, ranks, o), second = train_sharded(d, ranks, o);
    ASSERT_EQ(first[0].error, "");
    EXPECT_NE(first[0].engine.find("BPR, sparse updates, sharded over"), std::string::npos) << first[0].engine;
    ASSERT_EQ(first[0].history.size(), 6u);
    EXPECT_EQ(first[0].history.back().valid_loss, second[0].history.back().valid_loss);
    EXPECT_EQ(first[0].history.back().train_loss, second[0].history.back().train_loss);
    EXPECT_EQ(first[0].weights.get(tables::item_factors).values, second[0].weights.get(tables::item_factors).values);
    EXPECT_EQ(first[ranks - 1].history.back().valid_loss, first[0].history.back().valid_loss);
    // It learns: BPR's loss starts near log 2 (scores near 0) and falls, as one process's does.
    // (Not the same number: a rank's validation negatives come from the positive's item block.)
    const double sharded = first[0].history.back().valid_loss;
    EXPECT_LT(first[0].history.front().valid_loss, std::log(2.0));
    EXPECT_LT(sharded, 0.5);
    EXPECT_LT(one_loss, 0.5);
    EXPECT_NEAR(sharded, one_loss, 0.1) << ranks << " ranks; one process " << one_loss;
  }
}

TEST(ShardedBpr, AResumedRunEndsOnTheUninterruptedRunsBits) {
  Data d;
  const TrainOptions o = bpr_options(4);
  const auto whole = train_sharded(d, 2, o);
  const std::string dir = test_support::temp_dir("bpr-shards") + "/checkpoint";
  EXPECT_EQ(train_sharded(d, 2, o, dir, 2)[0].error, "interrupted");
  const auto resumed = train_sharded(d, 2, o, dir);
  ASSERT_EQ(resumed[0].error, "");
  ASSERT_EQ(resumed[0].history.size(), 4u);
  EXPECT_EQ(resumed[0].history.back().valid_loss, whole[0].history.back().valid_loss);
  EXPECT_EQ(resumed[0].history.back().train_loss, whole[0].history.back().train_loss);
  EXPECT_EQ(resumed[0].weights.get(tables::user_factors).values, whole[0].weights.get(tables::user_factors).values);
}

}  // namespace
}  // namespace collab
