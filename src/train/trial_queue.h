// `collab tune` across processes: a queue of trials kept in the store the ranks met through
// (Communicator::store_*, c10d's), so that ranks on one machine (--nproc) or on several
// (torchrun) take trials one at a time, as --jobs' threads do in one process, and post what each
// scored for rank 0 to print and journal in trial order.
//
// The keys, under "tune/":
//   next          how many trials were handed out: store_add hands out the next, in the order
//                 of hand_out_in
//   begun         how many trials started (--time-budget never stops the first)
//   owner/T       "RANK GEN": the rank that runs trial T, handed out for the GEN-th time (0: first)
//   result/T      trial T's journal line (train/tuning.h), once it finished
//   skipped/T     trial T was handed out after --time-budget (or after a trial it needs was): never
//   run closed        --time-budget has passed: no trial starts any more rung/T/K      --prune:
//   trial T's score at its rung K beat/R        rank R's heartbeat, a count it adds to every
//   `beat_interval` rescue/T/GEN  the claim of the rank that runs trial T again after its owner GEN
//   died ready         rank 0 posted the journal's trials; no rank takes one before failed "CODE
//   RANK MESSAGE": a rank failed; the others stop with the same code left/R        rank R saw every
//   trial end and left; rank 0 waits for this before it goes
//
// A rank is taken for dead when its heartbeat has not moved for `timeout` seconds by the clock of
// the rank that watches it (each rank watches all the others on a thread of its own); its
// unfinished trials then go to the first rank that claims them, before any new trial. A trial
// whose owner died between its handing out and naming itself is taken for dead the same way.
// Running a trial twice is harmless: its result is a function of its number and the seed, so a
// trial whose first owner was only slow posts the same result twice. Rank 0 dead ends the search
// (it prints and writes): the others stop with ExitCode::unavailable.
#pragma once

#include <chrono>
#include <condition_variable>
#include <exception>
#include <functional>
#include <map>
#include <memory>
#include <mutex>
#include <optional>
#include <set>
#include <string>
#include <thread>
#include <vector>

#include "train/distributed.h"
#include "train/tuning.h"

namespace collab {

class TrialQueue {
 public:
  // `trials`: how many the search has at most; `search`: its fingerprint (journal_line's).
  // Starts the heartbeat. Every rank must construct it at about the same time (after the ranks
  // agreed on their options), for the heartbeats to start together.
  TrialQueue(Communicator& ranks, const std::vector<TunedOption>& space, std::string search,
             size_t trials, std::chrono::milliseconds timeout);
  ~TrialQueue();
  TrialQueue(const TrialQueue&) = delete;
  TrialQueue& operator=(const TrialQueue&) = delete;

  bool lead() const { return ranks_.rank() == 0; }
  size_t trials() const { return n_; }
  // The order trials are handed out in (SearchSettings::order; empty: by number), the same on
  // every rank; set before open().
  void hand_out_in(std::vector<int> order) { order_ = std::move(order); }
  // Rank 0 posts the trials of its journal; every rank then waits until it has.
  void open(const std::vector<TrialResult>& done);

  // A trial whose owner died, numbered below `below`, now this rank's; none when there is none
  // or another rank claimed it first.
  std::optional<int> take_orphan(int below);
  // The next trial never handed out, skipping those already finished (a journal's); none when
  // every trial was handed out or the queue is closed. `budget_passed`: --time-budget is over
  // by this rank's clock, so that the trial is skipped and the queue closed (unless no trial
  // began).
  std::optional<int> take_new(bool budget_passed);
  // Whether every trial that will ever run has ended (a result posted or skipped).
  bool all_ended();
  // Once every trial has been handed out (or the queue closed): how many of them have not ended;
  // none before.
  std::optional<size_t> running_when_drained();

  void post(const TrialResult& r);
  void skip(int trial);
  std::optional<TrialResult> result(int trial);  // once posted
  bool skipped(int trial);
  // --prune: trial T's score at rung K, posted and read back.
  void post_rung(int trial, size_t rung, double score);
  std::optional<double> rung(int trial, size_t rung);

  // Waits until `ready()` holds (a look at the store's state, false until then). Meanwhile this
  // rank runs the trials, numbered below `below`, whose owners died: on a thread of their own, by
  // set_runner's `run`, so that a wait on behalf of trial T (which needs only lower trials) never
  // waits on a trial nobody runs. False when the search fails or stops first.
  bool wait_until(const std::function<bool()>& ready, int below);
  // What runs an orphan trial (propose, train, post), and what says the user asked to stop.
  void set_runner(std::function<void(int trial)> run, std::function<bool()> should_stop);

  // Throws what ends this rank's search: another rank's failure (its code), rank 0's death, or a
  // failure of the heartbeat's thread (the store gone).
  void check();
  // This rank failed with `e`: the others are told (best effort), and this rank's waits end.
  void fail(const std::exception_ptr& e);
  bool failing() const;
  // Every rank, when all_ended(): the others say they leave; rank 0 waits until each has, or
  // was taken for dead, so that a store it serves outlives their last request.
  void leave();

  // How long a waiting rank sleeps between looks at the store.
  static constexpr std::chrono::milliseconds poll{20};

 private:
  std::string key(const std::string& what) const { return "tune/" + what; }
  std::int64_t count(const std::string& what);
  bool resolved(int trial);
  void heartbeat();
  void watch();
  void run_elsewhere(int trial);
  bool dead(int rank) const;  // under lock_
  int trial_at(size_t k) const { return order_.empty() ? static_cast<int>(k) : order_[k]; }

  Communicator& ranks_;
  const std::vector<TunedOption>& space_;
  const std::string search_;
  const size_t n_;
  const std::chrono::milliseconds timeout_;
  std::vector<int> order_;

  mutable std::mutex lock_;
  std::condition_variable stopping_;
  bool stop_ = false;
  std::exception_ptr failure_;          // the heartbeat's, or this rank's own (fail)
  std::map<int, TrialResult> results_;  // posted, as read back
  std::set<int> skipped_;
  // Each other rank's last heartbeat and when this rank saw it move.
  std::map<int, std::pair<std::int64_t, std::chrono::steady_clock::time_point>> beats_;
  std::map<int, std::pair<int, int>> orphans_;  // trial -> its dead owner's rank and generation
  std::map<int, std::chrono::steady_clock::time_point>
      ownerless_;  // handed out, owner not yet named
  std::function<void(int)> run_;
  std::function<bool()> should_stop_;
  std::thread watcher_;
};

// --prune across ranks: ASHA's rungs (train/tuning.h) kept in the queue's store, with the same
// decisions as AshaRungs in one process.
std::unique_ptr<TrialRungs> shared_rungs(TrialQueue& queue, bool minimise);

}  // namespace collab
