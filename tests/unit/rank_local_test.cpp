// Sharded training's rank-local load (pipeline/rank_local.h): ranks (threads here,
// in_process_ranks.h) that read only their own users' ratings off the parsed-data cache train the
// very model, bit for bit, that ranks holding the whole split train, agree on the run's
// fingerprint, and give rank 0 the whole index of trained items. The pieces under it: the cache
// read a chunk at a time, the random split told by roles, the membership hash.
#include <gtest/gtest.h>

#include <cstring>
#include <string>

#include "data/parsed_cache.h"
#include "data/parsed_cache_stream.h"
#include "in_process_ranks.h"
#include "pipeline/pipeline.h"
#include "pipeline/rank_local.h"
#include "test_support.h"
#include "train/split_membership.h"

namespace collab {
namespace {

// 90 users rate the items i of 1..60 where (u * 7 + i * 3) % 4 != 0; movies 59 and 60 share a
// title, so that one item holds two movieIds and some users rate it twice.
DataSource made_up_source(const std::string& name) {
  const std::string dir = test_support::temp_dir(name);
  std::string ratings = "userId,movieId,rating,timestamp\n", movies = "movieId,title,genres\n";
  for (int u = 1; u <= 90; ++u)
    for (int i = 1; i <= 60; ++i)
      if ((u * 7 + i * 3) % 4 != 0)
        ratings += std::to_string(u) + "," + std::to_string(i) + "," + std::to_string(0.5 + (u * i) % 10 / 2.0) + ",0\n";
  for (int i = 1; i <= 60; ++i)
    movies += std::to_string(i) + ",Movie " + std::to_string(std::min(i, 59)) + " (2000),Drama\n";
  test_support::write_text(dir + "/ratings.csv", ratings);
  test_support::write_text(dir + "/movies.csv", movies);
  return csv_files_data_source(dir + "/ratings.csv", dir + "/movies.csv", ItemKey::title);
}

TrainingRequest sharded_request(const DataSource& source, Communicator& rank) {
  TrainingRequest r;
  r.source = source;
  r.options.optimizer = OptimizerKind::sparse_adam;
  r.options.epochs = 3;
  r.options.lr = 3e-2;
  r.options.model.factors = 6;
  r.options.batch_size = 32;
  r.options.seed = 11;
  r.options.dist = DistMode::shard;
  r.device = "cpu";
  r.engine = "cpu";
  r.communicator = &rank;
  return r;
}

struct RankRun {
  SavedModel model;
  std::uint64_t fingerprint = 0;
  bool rank_local = false;
};

// Every rank trains; rank_local false: from the whole data set in memory.
std::vector<RankRun> train_ranks(const DataSource& source, int ranks, bool rank_local) {
  test_support::InProcessRanks group(ranks);
  std::vector<RankRun> out(static_cast<size_t>(ranks));
  group.run([&](int r) {
    const TrainingRequest request = sharded_request(source, group.rank(r));
    EXPECT_TRUE(loads_rank_local(request));
    auto run = rank_local ? prepare_training(request) : prepare_training_from(request, load_data_source(source));
    RankRun& result = out[static_cast<size_t>(r)];
    result.rank_local = run->rank_local != nullptr;
    result.fingerprint = training_fingerprint(*run, request);
    result.model = train_model(*run, request, {});
  });
  return out;
}

TEST(RankLocal, RanksHoldingTheirOwnRatingsTrainTheWholeSplitsModelBitForBit) {
  const DataSource source = made_up_source("rank-local-model");
  load_data_source(source);  // the cache, written once before the ranks start
  for (int ranks : {2, 3}) {
    const auto whole = train_ranks(source, ranks, false);
    const auto local = train_ranks(source, ranks, true);
    ASSERT_TRUE(local[0].rank_local);
    ASSERT_FALSE(whole[0].rank_local);
    for (int r = 0; r < ranks; ++r) EXPECT_EQ(local[static_cast<size_t>(r)].fingerprint, whole[0].fingerprint);
    const SavedModel &a = local[0].model, &b = whole[0].model;
    ASSERT_EQ(a.history.size(), b.history.size());
    for (size_t e = 0; e < a.history.size(); ++e) {
      EXPECT_EQ(a.history[e].train_loss, b.history[e].train_loss);
      EXPECT_EQ(a.history[e].valid_loss, b.history[e].valid_loss);
    }
    ASSERT_EQ(a.weights.tensors.size(), b.weights.tensors.size());
    for (size_t t = 0; t < a.weights.tensors.size(); ++t) EXPECT_EQ(a.weights.tensors[t].values, b.weights.tensors[t].values);
    EXPECT_EQ(a.rated_offsets, b.rated_offsets);
    EXPECT_EQ(a.rated_items, b.rated_items);
    EXPECT_EQ(a.vocabulary.item_titles, b.vocabulary.item_titles);
    // The whole split's model names its rows by their order; the rank-local one by their roles.
    EXPECT_TRUE(a.split_rows.empty());
    EXPECT_EQ(a.split_membership.size(), 16u);
    EXPECT_FALSE(b.split_rows.empty());
  }
}

TEST(RankLocal, TheRandomSplitsRolesAndMembershipHashMatchTheSplitInMemory) {
  const EncodedRatings data = load_data_source(made_up_source("rank-local-roles"));
  const TrainValidSplit split = random_split(data, 0.2, 11);
  EXPECT_EQ(random_split_roles(data.size(), 0.2, 11), split_roles(split, data.size()));
  const std::vector<std::uint8_t> roles = split_roles(split, data.size());
  SplitMembershipHash chunked;
  for (size_t first = 0; first < data.size(); first += 97) {
    const size_t n = std::min<size_t>(97, data.size() - first);
    chunked.add(data.user.data() + first, data.item.data() + first, data.rating.data() + first, roles.data() + first, n);
  }
  EXPECT_EQ(chunked.hex(), membership_fingerprint(data, split));
  EXPECT_NE(membership_fingerprint(data, random_split(data, 0.2, 12)), membership_fingerprint(data, split));
}

TEST(RankLocal, TheCacheReadAChunkAtATimeIsTheCacheReadWhole) {
  const DataSource source = made_up_source("rank-local-chunks");
  const EncodedRatings whole = load_data_source(source);  // writes the cache
  const auto stream = ParsedCacheStream::open(source, parsed_cache_key(source));
  ASSERT_TRUE(stream);
  ASSERT_EQ(stream->size(), whole.size());
  EXPECT_EQ(stream->vocabulary().user_ids, whole.vocabulary.user_ids);
  EncodedRatings read;
  size_t next = 0;
  stream->for_each_chunk(
      [&](size_t first, size_t n, const std::int32_t* u, const std::int32_t* i, const float* r) {
        EXPECT_EQ(first, next);
        next += n;
        read.user.insert(read.user.end(), u, u + n);
        read.item.insert(read.item.end(), i, i + n);
        read.rating.insert(read.rating.end(), r, r + n);
      },
      1000);
  EXPECT_EQ(read.user, whole.user);
  EXPECT_EQ(read.item, whole.item);
  EXPECT_EQ(read.rating, whole.rating);
  EXPECT_FALSE(ParsedCacheStream::open(source, parsed_cache_key(source) + "x"));
}

}  // namespace
}  // namespace collab

namespace collab {
namespace {

// --nproc's launcher writes the cache before its ranks start (so that no rank parses every
// rating), only for runs whose ranks would stream it.
TEST(RankLocal, TheLauncherWritesTheCacheOnlyForRunsThatStreamIt) {
  const DataSource source = made_up_source("rank-local-launcher");
  test_support::InProcessRanks none(1);
  TrainingRequest r = sharded_request(source, none.rank(0));
  r.communicator = nullptr;
  EXPECT_TRUE(loads_rank_local(r, 2));
  EXPECT_FALSE(loads_rank_local(r, 1));
  TrainingRequest filtered = r;
  filtered.filters.min_rating = 1.0;
  EXPECT_FALSE(loads_rank_local(filtered, 2));
  TrainingRequest exact = r;
  exact.options.dist = DistMode::replicate;
  EXPECT_FALSE(loads_rank_local(exact, 2));
  EXPECT_FALSE(ParsedCacheStream::open(source, parsed_cache_key(source)));
  make_parsed_cache(source);
  const auto stream = ParsedCacheStream::open(source, parsed_cache_key(source));
  ASSERT_TRUE(stream);
  EXPECT_EQ(stream->size(), load_data_source(source).size());
}

}  // namespace
}  // namespace collab
