// The search across ranks (train/trial_queue.h, tuning_ranks.cpp) with ranks as threads of this
// process sharing a store in memory: the same results as one process, a dead rank's trial run
// again by another, failures and rank 0's death ending every rank.
#include "train/trial_queue.h"

#include <gtest/gtest.h>

#include <atomic>
#include <chrono>
#include <cmath>
#include <map>
#include <memory>
#include <mutex>
#include <string>
#include <thread>
#include <vector>

#include "support/error.h"
#include "train/tuning.h"

namespace collab {
namespace {

// c10d's store as far as the queue can tell: set, get without waiting, atomic add.
struct MemoryStore {
  std::mutex lock;
  std::map<std::string, std::string> values;
};

// One rank: a store and nothing to exchange. After die() every store request throws, as if the process were gone: its heartbeat
// stops and it posts nothing more.
class StoreRank final : public Communicator {
 public:
  StoreRank(MemoryStore& store, int rank, int size) : store_(store), rank_(rank), size_(size) {}
  int rank() const override { return rank_; }
  int world_size() const override { return size_; }
  void allgather(const float*, size_t, float*) override {}
  void barrier() override {}
  Traffic traffic() const override { return {}; }
  void store_set(const std::string& key, const std::string& value) override {
    alive();
    std::lock_guard<std::mutex> g(store_.lock);
    store_.values[key] = value;
  }
  std::optional<std::string> store_get(const std::string& key) override {
    alive();
    std::lock_guard<std::mutex> g(store_.lock);
    const auto it = store_.values.find(key);
    return it == store_.values.end() ? std::nullopt : std::optional<std::string>(it->second);
  }
  std::int64_t store_add(const std::string& key, std::int64_t amount) override {
    alive();
    std::lock_guard<std::mutex> g(store_.lock);
    std::string& v = store_.values[key];
    v = std::to_string((v.empty() ? 0 : std::stoll(v)) + amount);
    return std::stoll(v);
  }
  void die() { dead_ = true; }

 private:
  void alive() const {
    if (dead_) throw unavailable("rank " + std::to_string(rank_) + " is dead");
  }
  MemoryStore& store_;
  const int rank_, size_;
  std::atomic<bool> dead_{false};
};

const std::vector<TunedOption>& space() {
  static const std::vector<TunedOption> s = {parse_tuned_option("lr=1e-4..1e-1"),
                                             parse_tuned_option("factors=8..64")};
  return s;
}

TrialResult scored(int trial, const Configuration& c) {
  TrialResult r;
  r.trial = trial;
  r.values = c;
  r.score = std::abs(std::log10(c[0]) + 2.5) + std::abs(c[1] - 32) / 64;
  r.epochs = 3;
  // Finishing out of order.
  std::this_thread::sleep_for(std::chrono::microseconds((trial * 7919) % 2000));
  return r;
}

// A trial on rank `me`; none: scored().
using Objective = std::function<TrialResult(StoreRank& me, int trial, const Configuration& c)>;

// Runs the search on `size` ranks (threads), each with `jobs` workers; returns rank 0's results
// and each rank's failure (none when it ended well).
struct RankRun {
  std::vector<TrialResult> results;
  std::vector<std::exception_ptr> failures;
  std::vector<int> printed;  // rank 0's on_ordered, in call order
};
RankRun run_ranks(int size, int jobs, SearchSettings s, const Objective& objective,
                  const std::vector<TrialResult>& done = {}) {
  MemoryStore store;
  RankRun out;
  out.failures.resize(static_cast<size_t>(size));
  std::vector<std::unique_ptr<StoreRank>> ranks;
  for (int r = 0; r < size; ++r) ranks.push_back(std::make_unique<StoreRank>(store, r, size));
  std::vector<std::thread> threads;
  for (int r = 0; r < size; ++r)
    threads.emplace_back([&, r] {
      try {
        TrialQueue queue(*ranks[r], space(), "search", search_size(space(), s),
                         std::chrono::milliseconds(300));
        SearchSettings mine = s;
        mine.jobs = jobs;
        mine.queue = &queue;
        SearchCallbacks cb;
        cb.run_trial = [&, r](int trial, const Configuration& c) {
          return objective ? objective(*ranks[r], trial, c) : scored(trial, c);
        };
        cb.on_ordered = [&](const TrialResult& t) { out.printed.push_back(t.trial); };
        auto results = run_search(space(), mine, r == 0 ? done : std::vector<TrialResult>{}, cb);
        if (r == 0)
          out.results = results;
        else
          EXPECT_TRUE(results.empty());
      } catch (...) {
        out.failures[r] = std::current_exception();
      }
    });
  for (std::thread& t : threads) t.join();
  return out;
}

std::vector<TrialResult> one_process(SearchSettings s) {
  SearchCallbacks cb;
  cb.run_trial = scored;
  cb.on_ordered = [](const TrialResult&) {};
  s.jobs = 1;
  return run_search(space(), s, {}, cb);
}

SearchSettings settings(SearchKind kind, int trials) {
  SearchSettings s;
  s.kind = kind;
  s.trials = trials;
  s.seed = 5;
  return s;
}

void expect_same(const std::vector<TrialResult>& a, const std::vector<TrialResult>& b) {
  ASSERT_EQ(a.size(), b.size());
  for (size_t i = 0; i < a.size(); ++i) {
    EXPECT_EQ(a[i].trial, b[i].trial);
    EXPECT_EQ(a[i].values, b[i].values) << "trial " << i;
    EXPECT_EQ(a[i].score, b[i].score) << "trial " << i;  // bit for bit: through the store as text
  }
}

std::string message_of(const std::exception_ptr& e) {
  try {
    std::rethrow_exception(e);
  } catch (const std::exception& x) {
    return x.what();
  }
}

TEST(TrialQueue, RandomSearchOnThreeRanksEndsAsOneProcessAndRankZeroPrintsInOrder) {
  const SearchSettings s = settings(SearchKind::random, 20);
  const RankRun run = run_ranks(3, 2, s, nullptr);
  for (const auto& f : run.failures) EXPECT_FALSE(f) << message_of(f);
  expect_same(run.results, one_process(s));
  std::vector<int> in_order(20);
  for (int i = 0; i < 20; ++i) in_order[i] = i;
  EXPECT_EQ(run.printed, in_order);
}

TEST(TrialQueue, TrialsHandedOutLongestFirstEndAsOneProcessAndPrintInOrder) {
  SearchSettings s = settings(SearchKind::random, 20);
  s.order = longest_first(space(), s, [](const Configuration& c) { return c[0]; });
  std::vector<int> in_order(20);
  for (int i = 0; i < 20; ++i) in_order[i] = i;
  ASSERT_NE(s.order, in_order);
  std::vector<int> handed;
  std::mutex lock;
  const RankRun run = run_ranks(2, 1, s, [&](StoreRank&, int trial, const Configuration& c) {
    std::lock_guard<std::mutex> g(lock);
    handed.push_back(trial);
    return scored(trial, c);
  });
  for (const auto& f : run.failures) EXPECT_FALSE(f) << message_of(f);
  expect_same(run.results, one_process(settings(SearchKind::random, 20)));
  EXPECT_EQ(run.printed, in_order);
  // The first trial to start is the first or the second of the order (ranks race for them).
  ASSERT_EQ(handed.size(), 20u);
  EXPECT_TRUE(handed[0] == s.order[0] || handed[0] == s.order[1]) << handed[0];
}

TEST(TrialQueue, RankZeroIsToldOfAnIdleCoreOnItsMachineWhenAnotherRanksWorkerIdles) {
  // Two ranks of one job on one machine; rank 0's one trial runs long, so rank 1 runs the rest
  // and then idles while rank 0's only worker is busy.
  SearchSettings s = settings(SearchKind::random, 6);
  s.workers_here = 2;
  MemoryStore store;
  std::vector<std::unique_ptr<StoreRank>> ranks;
  for (int r = 0; r < 2; ++r) ranks.push_back(std::make_unique<StoreRank>(store, r, 2));
  std::atomic<int> told_0{0}, told_1{0}, best_told{-1}, slow{-1};
  std::vector<std::thread> threads;
  for (int r = 0; r < 2; ++r)
    threads.emplace_back([&, r] {
      TrialQueue queue(*ranks[r], space(), "search", 6, std::chrono::milliseconds(2000));
      SearchSettings mine = s;
      mine.queue = &queue;
      SearchCallbacks cb;
      cb.run_trial = [&, r](int trial, const Configuration& c) {
        if (r == 0) {
          slow = trial;
          std::this_thread::sleep_for(std::chrono::milliseconds(500));
        }
        return scored(trial, c);
      };
      cb.on_ordered = [](const TrialResult&) {};
      cb.on_idle_core = [&, r](const TrialResult& best) {
        ++(r == 0 ? told_0 : told_1);
        best_told = best.trial;
      };
      run_search(space(), mine, {}, cb);
    });
  for (std::thread& t : threads) t.join();
  EXPECT_EQ(told_0, 1);
  EXPECT_EQ(told_1, 0);
  std::vector<TrialResult> others;  // rank 1's, all finished when it idled
  for (int t = 0; t < 6; ++t)
    if (t != slow) others.push_back(scored(t, random_configuration(space(), 5, t)));
  ASSERT_EQ(others.size(), 5u);
  EXPECT_EQ(best_told, others[best_trial(others, true)].trial);
}

TEST(TrialQueue, TpeOnTwoRanksProposesAsOneProcess) {
  const SearchSettings s = settings(SearchKind::tpe, 26);
  const RankRun run = run_ranks(2, 2, s, nullptr);
  for (const auto& f : run.failures) EXPECT_FALSE(f) << message_of(f);
  expect_same(run.results, one_process(s));
}

TEST(TrialQueue, ADeadRanksTrialIsRunAgainByAnother) {
  const SearchSettings s =
      settings(SearchKind::tpe, 16);  // TPE: later proposals wait on the dead trial
  std::atomic<int> dead_trial{-1};
  const RankRun run = run_ranks(3, 1, s, [&](StoreRank& me, int trial, const Configuration& c) {
    if (me.rank() == 1) {  // dies in its first trial: its heartbeat stops, it posts nothing
      me.die();
      dead_trial = trial;
      throw unavailable("rank 1 is gone");
    }
    while (dead_trial < 0)
      std::this_thread::sleep_for(std::chrono::milliseconds(1));  // rank 1 gets one
    return scored(trial, c);
  });
  ASSERT_GE(dead_trial.load(), 0);
  EXPECT_TRUE(run.failures[1]);
  EXPECT_FALSE(run.failures[0]) << message_of(run.failures[0]);
  EXPECT_FALSE(run.failures[2]) << message_of(run.failures[2]);
  expect_same(run.results, one_process(s));
}

// A trial of 9 epochs with ASHA's rungs after epochs 1 and 3: a made-up curve per rung.
TrialResult pruned_or_not(TrialRungs& rungs, int trial, const Configuration& c) {
  TrialResult r = scored(trial, c);
  for (size_t rung = 0; rung < 2; ++rung) {
    const double at = r.score + 0.5 / static_cast<double>(rung + 1) + 0.01 * ((trial * 37) % 11);
    r.rungs.push_back(at);
    if (!rungs.promote(trial, rung, at)) {
      r.pruned = true, r.score = at, r.epochs = rung == 0 ? 1 : 3;
      break;
    }
  }
  rungs.ended(trial);
  return r;
}

TEST(TrialQueue, AshasDecisionsOnTwoRanksAreOneProcesss) {
  const SearchSettings s = settings(SearchKind::random, 18);
  AshaRungs local(true);
  SearchCallbacks cb;
  cb.run_trial = [&](int trial, const Configuration& c) { return pruned_or_not(local, trial, c); };
  cb.on_ordered = [](const TrialResult&) {};
  const std::vector<TrialResult> one = run_search(space(), s, {}, cb);
  // Each rank's rungs in the store, through its own queue: made where the queue is.
  MemoryStore store;
  std::vector<TrialResult> shared;
  std::vector<std::thread> threads;
  for (int r = 0; r < 2; ++r)
    threads.emplace_back([&, r] {
      StoreRank me(store, r, 2);
      TrialQueue queue(me, space(), "search", 18, std::chrono::milliseconds(300));
      const std::unique_ptr<TrialRungs> rungs = shared_rungs(queue, true);
      SearchSettings mine = s;
      mine.jobs = 2, mine.queue = &queue;
      SearchCallbacks rank_cb;
      rank_cb.run_trial = [&](int trial, const Configuration& c) {
        return pruned_or_not(*rungs, trial, c);
      };
      rank_cb.on_ordered = [](const TrialResult&) {};
      auto results = run_search(space(), mine, {}, rank_cb);
      if (r == 0) shared = results;
    });
  for (std::thread& t : threads) t.join();
  ASSERT_EQ(shared.size(), one.size());
  int pruned = 0;
  for (size_t i = 0; i < one.size(); ++i) {
    EXPECT_EQ(shared[i].pruned, one[i].pruned) << "trial " << i;
    EXPECT_EQ(shared[i].score, one[i].score) << "trial " << i;
    pruned += one[i].pruned;
  }
  EXPECT_GT(pruned, 0);
  EXPECT_LT(pruned, 18);
}

TEST(TrialQueue, ARanksFailureStopsEveryRankWithItsCode) {
  // Ranks 0 and 1 hold their trials until rank 2 has failed: else they could end all 30 before
  // rank 2, which looks for the open queue every poll, takes one.
  const RankRun run = run_ranks(3, 1, settings(SearchKind::random, 30),
                                [](StoreRank& me, int trial, const Configuration& c) {
                                  if (me.rank() == 2)
                                    throw cannot_write("--journal j: cannot write to it");
                                  for (int i = 0; i < 5000 && !me.store_get("tune/failed"); ++i)
                                    std::this_thread::sleep_for(std::chrono::milliseconds(1));
                                  return scored(trial, c);
                                });
  for (int r = 0; r < 3; ++r) {
    ASSERT_TRUE(run.failures[r]) << "rank " << r;
    try {
      std::rethrow_exception(run.failures[r]);
    } catch (const Error& e) {
      EXPECT_EQ(e.code(), ExitCode::cannot_create);
      if (r != 2) {
        EXPECT_EQ(std::string(e.what()),
                  "rank 2 stopped the search: --journal j: cannot write to it");
      }
    }
  }
}

TEST(TrialQueue, RankZerosDeathStopsTheOthersAsUnavailable) {
  const RankRun run = run_ranks(2, 1, settings(SearchKind::random, 30),
                                [](StoreRank& me, int trial, const Configuration& c) {
                                  if (me.rank() == 0) {
                                    me.die();
                                    throw unavailable("rank 0 is gone");
                                  }
                                  return scored(trial, c);
                                });
  ASSERT_TRUE(run.failures[1]);
  try {
    std::rethrow_exception(run.failures[1]);
  } catch (const Error& e) {
    EXPECT_EQ(e.code(), ExitCode::unavailable);
    EXPECT_NE(std::string(e.what()).find("rank 0, which prints the results, stopped answering"),
              std::string::npos)
        << e.what();
  }
}

TEST(TrialQueue, TheJournalsTrialsAreNotRunAgainOnAnyRank) {
  const SearchSettings s = settings(SearchKind::tpe, 16);
  const std::vector<TrialResult> all = one_process(s);
  std::vector<TrialResult> done(all.begin(), all.begin() + 11);
  for (TrialResult& r : done) r.resumed = true;
  std::atomic<int> lowest{1000};
  const RankRun run = run_ranks(
      2, 2, s,
      [&](StoreRank&, int trial, const Configuration& c) {
        for (int seen = lowest; trial < seen && !lowest.compare_exchange_weak(seen, trial);) {
        }
        return scored(trial, c);
      },
      done);
  EXPECT_EQ(lowest.load(), 11);
  expect_same(run.results, all);
  EXPECT_EQ(run.printed.size(), 16u);
}

}  // namespace
}  // namespace collab
