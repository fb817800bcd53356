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
#include <iterator>
#include <numeric>
#include <set>

#include "cpu/cpu_engine.h"
#include "cpu/shard_checkpoint.h"
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

struct Data {
  EncodedRatings ratings = test_support::synthetic_ratings(kUsers, kItems, 0.4, 5);
  TrainValidSplit split = random_split(ratings, 0.2, 2);
};

TrainOptions sparse_options(int epochs) {
  TrainOptions o;
  o.optimizer = OptimizerKind::sparse_adam;
  o.epochs = epochs;
  o.lr = 3e-2;
  o.model.factors = 8;
  o.seed = 7;
  return o;
}

std::vector<test_support::RankResult> train_sharded(const Data& d, int ranks, const TrainOptions& o,
                                                  const std::string& checkpoint = "", int stop_after = 0) {
  return test_support::train_sharded(d.split, kUsers, kItems, ranks, o, checkpoint, stop_after);
}

double one_process_loss(const Data& d, const TrainOptions& o) {
  EngineSetup s = test_support::synthetic_setup(d.split, Arch::dot_bias, kUsers, kItems, o.model.factors, o.seed);
  s.options = o;
  auto engine = make_engine(s, "cpu", "cpu");
  return fit_one_cycle(*engine, d.split.train.size(), o, {}, /*validating=*/true).back().valid_loss;
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
    EXPECT_EQ(first[0].weights.get(tables::user_factors).values.size(), static_cast<size_t>((kUsers + 1) * o.model.factors));
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

namespace collab {
namespace {

// A shard whose checksum is right but whose contents lie is still refused, never trusted: each
// lie below is written through save_shard (so the checksum matches) and read back.
TEST(ShardCheckpoint, ContentsThatDoNotAddUpAreDataErrorsNotCrashes) {
  const std::string dir = test_support::temp_dir("lying-shards");
  auto good = [] {
    ShardSnapshot s;
    s.ranks = 2;
    s.rank = 1;
    s.epochs_done = 2;
    s.step = 3;
    s.history.resize(2);
    s.log_beta1.assign(4, 0.0);
    s.log_decay.assign(4, 0.0);
    s.row_count = 2;
    s.row_floats = 24;
    return s;
  };
  const std::vector<float> rows(48, 0.5f);
  std::vector<std::int64_t> clocks{1, 3};
  save_shard(dir, good(), rows.data(), clocks.data());
  EXPECT_EQ(load_shard(dir, 2, 1, 2).rows, rows);
  auto refused = [&](ShardSnapshot s, const std::vector<std::int64_t>& c, const std::string& why) {
    save_shard(dir, s, rows.data(), c.data());
    const Error e = test_support::expect_error([&] { load_shard(dir, 2, 1, s.epochs_done); });
    EXPECT_EQ(e.code(), ExitCode::data) << why;
    EXPECT_NE(std::string(e.what()).find("cannot be read"), std::string::npos) << why << ": " << e.what();
  };
  ShardSnapshot s = good();
  s.step = 2;  // a row's clock (3) past the last step; the sums one too long
  refused(s, clocks, "clock past the step");
  s = good();
  s.shift = 5;
  refused(s, clocks, "shift outside the ranks");
  s = good();
  s.history.resize(1);
  refused(s, clocks, "history shorter than the epochs");
  s = good();
  s.log_decay.resize(3);
  refused(s, clocks, "sums of other lengths");
  s = good();
  s.rank = 0;  // written as rank 0's file: rank 1 finds none of its own
  save_shard(dir, s, rows.data(), clocks.data());
  EXPECT_EQ(test_support::expect_error([&] { load_shard(dir, 2, 1, 3); }).code(), ExitCode::no_input);
  // Bytes cut off or flipped anywhere: the checksum catches them.
  save_shard(dir, good(), rows.data(), clocks.data());
  const std::string path = dir + "/shard-1-of-2.epoch-2";
  std::string bytes;
  {
    std::ifstream in(path, std::ios::binary);
    bytes.assign(std::istreambuf_iterator<char>(in), {});
  }
  for (size_t cut : {size_t{0}, size_t{10}, bytes.size() / 2, bytes.size() - 1}) {
    std::ofstream(path, std::ios::binary | std::ios::trunc).write(bytes.data(), static_cast<std::streamsize>(cut));
    EXPECT_EQ(test_support::expect_error([&] { load_shard(dir, 2, 1, 2); }).code(), ExitCode::data) << cut;
  }
  for (size_t at = 0; at < bytes.size(); at += 7) {
    std::string flipped = bytes;
    flipped[at] = static_cast<char>(flipped[at] ^ 0x5a);
    std::ofstream(path, std::ios::binary | std::ios::trunc).write(flipped.data(), static_cast<std::streamsize>(flipped.size()));
    EXPECT_EQ(test_support::expect_error([&] { load_shard(dir, 2, 1, 2); }).code(), ExitCode::data) << at;
  }
}

}  // namespace
}  // namespace collab
