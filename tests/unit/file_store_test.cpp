// The ranks' store in a file (train/file_store.h): ranks here are threads of this process, each
// with a store of its own on one folder, as --nproc's processes have: atomic adds across them,
// c10d's FileStore format both ways, the meeting and its timeout, the file removed by the last,
// and tune's search over it ending as one process.
#include "train/file_store.h"

#include <gtest/gtest.h>

#include <cmath>
#include <filesystem>
#include <fstream>
#include <iterator>
#include <set>
#include <thread>
#include <vector>

#include "test_support.h"
#include "train/trial_queue.h"
#include "train/tuning.h"

namespace collab {
namespace {

using test_support::expect_error;
using test_support::temp_dir;

DistributedSetup rank_setup(const std::string& dir, int rank, int size, int timeout_seconds = 30) {
  DistributedSetup s;
  s.rank = rank;
  s.world_size = size;
  s.store_dir = dir;
  s.timeout_seconds = timeout_seconds;
  return s;
}

std::string file_text(const std::string& path) {
  std::ifstream in(path, std::ios::binary);
  return std::string(std::istreambuf_iterator<char>(in), std::istreambuf_iterator<char>());
}

// A record as c10d's FileStore writes it: key and value, each after its length (4 bytes,
// little-endian).
std::string record(const std::string& key, const std::string& value) {
  std::string out;
  for (const std::string* field : {&key, &value}) {
    for (int i = 0; i < 4; ++i) out.push_back(static_cast<char>((field->size() >> (8 * i)) & 0xff));
    out += *field;
  }
  return out;
}

TEST(FileStore, AddsFromRanksAndThreadsAreAtomicAndEveryRankReadsTheOthersKeys) {
  const std::string dir = temp_dir("file-store-add");
  auto a = connect_file_store(rank_setup(dir, 0, 2));
  auto b = connect_file_store(rank_setup(dir, 1, 2));
  std::vector<std::vector<std::int64_t>> sums(4);
  std::vector<std::thread> threads;
  for (int t = 0; t < 4; ++t)
    threads.emplace_back([&, t] {
      Communicator& me = t % 2 ? *b : *a;
      for (int i = 0; i < 100; ++i) sums[t].push_back(me.store_add("n", 1));
    });
  for (auto& t : threads) t.join();
  std::set<std::int64_t> seen;
  for (const auto& s : sums) seen.insert(s.begin(), s.end());
  EXPECT_EQ(seen.size(), 400u);  // each add saw its own sum
  EXPECT_EQ(*seen.rbegin(), 400);
  EXPECT_EQ(a->store_get("n"), "400");
  b->store_set("key", std::string("a\0b", 3));
  EXPECT_EQ(a->store_get("key"), std::string("a\0b", 3));
  EXPECT_FALSE(a->store_get("absent"));
  b->store_set("key", "again");  // the last record of a key wins
  EXPECT_EQ(a->store_get("key"), "again");
}

TEST(FileStore, WritesAndReadsC10dFileStoreRecords) {
  const std::string dir = temp_dir("file-store-format");
  auto a = connect_file_store(rank_setup(dir, 0, 2));
  a->store_set("tune/ready", "1");
  const std::string text = file_text(dir + "/store");
  EXPECT_NE(text.find(record("/collab/kv/tune/ready", "1")), std::string::npos);
  EXPECT_EQ(text.find(record("cleanup/", "0")), 0u);  // c10d's count of the ranks that closed it
  // A record another writer appended (c10d's FileStore, a test's reader-writer) is read.
  std::ofstream(dir + "/store", std::ios::binary | std::ios::app)
      << record("/collab/kv/tune/other", "x");
  EXPECT_EQ(a->store_get("tune/other"), "x");
  // A record cut short (a writer killed while writing) is not read, nor what follows it.
  std::ofstream(dir + "/store", std::ios::binary | std::ios::app)
      << record("/collab/kv/half", "value").substr(0, 12);
  EXPECT_FALSE(a->store_get("half"));
}

TEST(FileStore, TheRanksMeetInAllgatherAndTheLastToCloseRemovesTheFile) {
  const std::string dir = temp_dir("file-store-meet");
  std::vector<std::uint64_t> hashes(3, 0);
  std::vector<std::unique_ptr<Communicator>> ranks(3);
  std::vector<std::thread> threads;
  for (int r = 0; r < 3; ++r)
    threads.emplace_back([&, r] {
      ranks[r] = connect_file_store(rank_setup(dir, r, 3));
      check_ranks_agree(*ranks[r], 42, "options");
      float mine = static_cast<float>(r), all[3] = {};
      ranks[r]->allgather(&mine, 1, all);
      EXPECT_EQ(all[0] + 2 * all[1] + 4 * all[2], 0 + 2 + 8) << "rank " << r;
      ranks[r]->barrier();
    });
  for (auto& t : threads) t.join();
  ranks[0].reset();
  ranks[2].reset();
  EXPECT_TRUE(std::filesystem::exists(dir + "/store"));
  ranks[1].reset();
  EXPECT_FALSE(std::filesystem::exists(dir + "/store"));
}

TEST(FileStore, RanksThatDisagreeAreRefusedAndARankThatNeverComesIsUnavailable) {
  const std::string dir = temp_dir("file-store-refused");
  std::vector<ExitCode> codes(2);
  std::vector<std::thread> threads;
  for (int r = 0; r < 2; ++r)
    threads.emplace_back([&, r] {
      auto me = connect_file_store(rank_setup(dir, r, 2));
      codes[r] = expect_error([&] { check_ranks_agree(*me, 42 + r, "options"); }).code();
    });
  for (auto& t : threads) t.join();
  EXPECT_EQ(codes[0], ExitCode::data);
  EXPECT_EQ(codes[1], ExitCode::data);
  auto alone = connect_file_store(rank_setup(temp_dir("file-store-alone"), 0, 2, 1));
  const Error e = expect_error([&] { alone->barrier(); });
  EXPECT_EQ(e.code(), ExitCode::unavailable);
  EXPECT_NE(std::string(e.what()).find("rank 1"), std::string::npos) << e.what();
}

TEST(FileStore, TunesSearchOnTwoRanksEndsAsOneProcess) {
  const std::vector<TunedOption> space = {parse_tuned_option("lr=1e-4..1e-1")};
  SearchSettings s;
  s.kind = SearchKind::random;
  s.trials = 12;
  s.seed = 3;
  auto score = [](int trial, const Configuration& c) {
    TrialResult r;
    r.trial = trial;
    r.values = c;
    r.score = std::abs(std::log10(c[0]) + 2.5);
    return r;
  };
  SearchCallbacks one;
  one.run_trial = score;
  one.on_ordered = [](const TrialResult&) {};
  const std::vector<TrialResult> expected = run_search(space, s, {}, one);
  const std::string dir = temp_dir("file-store-search");
  std::vector<TrialResult> got;
  std::vector<std::thread> threads;
  for (int r = 0; r < 2; ++r)
    threads.emplace_back([&, r] {
      auto me = connect_file_store(rank_setup(dir, r, 2));
      TrialQueue queue(*me, space, "search", search_size(space, s), std::chrono::seconds(30));
      SearchSettings mine = s;
      mine.queue = &queue;
      std::vector<TrialResult> results = run_search(space, mine, {}, one);
      if (r == 0) got = results;
    });
  for (auto& t : threads) t.join();
  ASSERT_EQ(got.size(), expected.size());
  for (size_t i = 0; i < got.size(); ++i) {
    EXPECT_EQ(got[i].values, expected[i].values) << "trial " << i;
    EXPECT_EQ(got[i].score, expected[i].score) << "trial " << i;
  }
}

}  // namespace
}  // namespace collab
