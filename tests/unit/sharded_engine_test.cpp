// Sharded training (--dist shard; cpu/shard_plan.h, cpu/sharded_engine.cpp) with its ranks as
// threads of the test (in_process_ranks.h): the plan divides users, items and ratings; the ranks
// end on the same bits run after run; the loss they reach is one process's within noise; a run
// stopped after an epoch and resumed from its checkpoint ends on the uninterrupted run's bits;
// and a damaged checkpoint is a data error on every rank.
#include <gtest/gtest.h>

#include <algorithm>
#include <atomic>
#include <cmath>
#include <fstream>
#include <numeric>
#include <set>

#include "cpu/cpu_engine.h"
#include "cpu/shard_plan.h"
#include "in_process_ranks.h"
#include "pipeline/engine_factory.h"
#include "test_support.h"
#include "train/fit.h"
#include "train/fit_passes.h"

namespace collab {
namespace {

constexpr int kUsers = 120, kItems = 90;

struct Data {
  EncodedRatings ratings = test_support::synthetic_ratings(kUsers, kItems, 0.4, 5);
  TrainValidSplit split = random_split(ratings, 0.2, 2);
};

TrainOptions sparse_options(int epochs) {
  TrainOptions o;
  o.optimizer = OptimizerKind::sparse_adam;
  o.epochs = epochs;
  o.lr = 3e-2;
  o.factors = 8;
  o.seed = 7;
  return o;
}

struct RankResult {
  std::vector<EpochRecord> history;
  Weights weights;
  std::string error;
  ExitCode code = ExitCode::ok;
};

// Trains on `ranks` threads; stop_after: each rank asks to stop after that many epochs.
std::vector<RankResult> train_sharded(const Data& d, int ranks, const TrainOptions& o, const std::string& checkpoint = "",
                                      int stop_after = 0) {
  test_support::InProcessRanks group(ranks);
  std::vector<RankResult> out(static_cast<size_t>(ranks));
  group.run([&](int r) {
    RankResult& result = out[static_cast<size_t>(r)];
    try {
      EngineSetup s = test_support::synthetic_setup(d.split, Arch::dot_bias, kUsers, kItems, o.factors, o.seed);
      s.options = o;
      s.communicator = &group.rank(r);
      s.checkpoint_dir = checkpoint;
      s.checkpoint_key = 42;
      auto engine = make_engine(s, "cpu", "cpu");
      std::atomic<bool> stop{false};
      FitHooks hooks;
      hooks.stop = &stop;
      hooks.on_epoch = [&](const EpochRecord& e) { stop = stop_after > 0 && e.epoch + 1 >= stop_after; };
      result.history = fit_by_passes(*engine, o, hooks);
      result.weights = engine->weights();
    } catch (const Interrupted&) {
      result.error = "interrupted";
    } catch (const Error& e) {
      result.error = e.what();
      result.code = e.code();
    }
  });
  return out;
}

double one_process_loss(const Data& d, const TrainOptions& o) {
  EngineSetup s = test_support::synthetic_setup(d.split, Arch::dot_bias, kUsers, kItems, o.factors, o.seed);
  s.options = o;
  auto engine = make_engine(s, "cpu", "cpu");
  return fit_one_cycle(*engine, d.split.train.size(), o, {}).back().valid_loss;
}

TEST(ShardPlan, BlocksPartitionTheUsersItemsAndRatingsInBalance) {
  Data d;
  for (int ranks : {2, 3}) {
    ShardPlan plan(kUsers + 1, kItems + 1, d.split.train, ranks, 7);
    std::set<std::int32_t> users, items;
    size_t ratings = 0;
    for (int b = 0; b < ranks; ++b) {
      users.insert(plan.users_of(b).begin(), plan.users_of(b).end());
      items.insert(plan.items_of(b).begin(), plan.items_of(b).end());
      EXPECT_TRUE(std::is_sorted(plan.users_of(b).begin(), plan.users_of(b).end()));
      size_t in_block = 0;
      for (int c = 0; c < ranks; ++c) in_block += plan.train_count(b, c);
      // Balanced by ratings: each user block within 15% of its share.
      EXPECT_NEAR(static_cast<double>(in_block), static_cast<double>(d.split.train.size()) / ranks,
                  0.15 * static_cast<double>(d.split.train.size()) / ranks);
      ratings += in_block;
      size_t stratum_total = 0;
      for (const auto& stratum : plan.strata(d.split.train, b)) stratum_total += stratum.size();
      EXPECT_EQ(stratum_total, in_block);
    }
    EXPECT_EQ(users.size(), static_cast<size_t>(kUsers + 1));
    EXPECT_EQ(items.size(), static_cast<size_t>(kItems + 1));
    EXPECT_EQ(ratings, d.split.train.size());
    std::vector<int> order = shift_order(7, 3, ranks);
    std::sort(order.begin(), order.end());
    for (int s = 0; s < ranks; ++s) EXPECT_EQ(order[static_cast<size_t>(s)], s);
    size_t shares = 0;
    for (int r = 0; r < ranks; ++r) shares += local_batch_size(65, r, ranks);
    EXPECT_EQ(shares, 65u);
  }
}

TEST(ShardedEngine, RanksEndOnTheSameBitsRunAfterRunNearOneProcess) {
  Data d;
  const TrainOptions o = sparse_options(4);
  for (int ranks : {2, 3}) {
    const auto first = train_sharded(d, ranks, o), second = train_sharded(d, ranks, o);
    ASSERT_EQ(first[0].error, "");
    ASSERT_EQ(first[0].history.size(), 4u);
    EXPECT_EQ(first[0].history.back().valid_loss, second[0].history.back().valid_loss);
    EXPECT_EQ(first[0].weights.get(tables::item_factors).values, second[0].weights.get(tables::item_factors).values);
    EXPECT_EQ(first[0].weights.get(tables::user_bias).values, second[0].weights.get(tables::user_bias).values);
    // Every rank saw the same history; only rank 0 holds the model.
    EXPECT_EQ(first[1].history.back().valid_loss, first[0].history.back().valid_loss);
    EXPECT_TRUE(first[1].weights.tensors.empty());
    EXPECT_EQ(first[0].weights.get(tables::user_factors).values.size(), static_cast<size_t>((kUsers + 1) * o.factors));
    const double one = one_process_loss(d, o), sharded = first[0].history.back().valid_loss;
    // Tiny data: a stratum is a few hundred ratings. docs/distributed.md has ml-latest-small and ml-25m.
    EXPECT_NEAR(sharded, one, 0.15 * one) << ranks << " ranks";
    EXPECT_GT(first[0].history.back().lr, 0);
  }
}

TEST(ShardedEngine, AResumedRunEndsOnTheUninterruptedRunsBits) {
  Data d;
  const TrainOptions o = sparse_options(4);
  const auto whole = train_sharded(d, 2, o);
  const std::string dir = test_support::temp_dir("shards") + "/checkpoint";
  const auto stopped = train_sharded(d, 2, o, dir, 2);
  EXPECT_EQ(stopped[0].error, "interrupted");
  const auto resumed = train_sharded(d, 2, o, dir);
  ASSERT_EQ(resumed[0].error, "");
  ASSERT_EQ(resumed[0].history.size(), 4u);
  EXPECT_EQ(resumed[0].history[1].valid_loss, whole[0].history[1].valid_loss);
  EXPECT_EQ(resumed[0].history.back().valid_loss, whole[0].history.back().valid_loss);
  EXPECT_EQ(resumed[0].history.back().train_loss, whole[0].history.back().train_loss);
  EXPECT_EQ(resumed[0].weights.get(tables::item_factors).values, whole[0].weights.get(tables::item_factors).values);
}

TEST(ShardedEngine, ADamagedOrForeignCheckpointStopsEveryRankWithADataError) {
  Data d;
  const TrainOptions o = sparse_options(3);
  const std::string dir = test_support::temp_dir("bad-shards") + "/checkpoint";
  train_sharded(d, 2, o, dir, 1);
  {
    std::fstream f(dir + "/shard-1-of-2.epoch-1", std::ios::in | std::ios::out | std::ios::binary);
    f.seekp(200);
    f.put('\x7f');
  }
  auto damaged = train_sharded(d, 2, o, dir);
  EXPECT_EQ(damaged[1].code, ExitCode::data);
  EXPECT_NE(damaged[1].error.find("shard-1-of-2.epoch-1 cannot be read: its checksum does not match"), std::string::npos)
      << damaged[1].error;
  EXPECT_EQ(damaged[0].code, ExitCode::data);
  EXPECT_NE(damaged[0].error.find("rank 1 could not resume"), std::string::npos) << damaged[0].error;
  auto three = train_sharded(d, 3, o, dir);
  EXPECT_EQ(three[0].code, ExitCode::data);
  EXPECT_NE(three[0].error.find("holds shards of a run on 2 ranks"), std::string::npos) << three[0].error;
}

}  // namespace
}  // namespace collab
