// The search across ranks (train/tuning.h's run_rank_search): each rank's --jobs workers take
// trials from the store's queue (train/trial_queue.h), TPE's proposals and ASHA's rungs wait on
// the store, and rank 0 reports every trial in trial order.
#include <algorithm>
#include <atomic>
#include <chrono>
#include <climits>
#include <cmath>
#include <mutex>
#include <optional>
#include <thread>

#include "support/error.h"
#include "train/trial_queue.h"
#include "train/tuning.h"

namespace collab {
namespace {

class RankSearch {
 public:
  RankSearch(const std::vector<TunedOption>& space, const SearchSettings& settings,
             const std::vector<TrialResult>& done, const SearchCallbacks& cb)
      : space_(space),
        settings_(settings),
        cb_(cb),
        queue_(*settings.queue),
        done_(done),
        n_(queue_.trials()),
        results_(n_),
        started_(std::chrono::steady_clock::now()) {
    for (const TrialResult& r : done)
      if (r.trial >= 0 && static_cast<size_t>(r.trial) < n_) results_[r.trial] = r;
  }

  std::vector<TrialResult> run() {
    queue_.set_runner([this](int trial) { run_one(trial); }, cb_.should_stop);
    queue_.hand_out_in(settings_.order);
    queue_.open(done_);
    std::vector<std::thread> threads;
    for (int j = 0; j < std::max(1, settings_.jobs); ++j)
      threads.emplace_back([this] { worker(); });
    // Rank 0's own workers may all be busy while another rank's, on this machine, idles.
    std::thread idle_watch;
    if (queue_.lead() && cb_.on_idle_core && settings_.workers_here > std::max(1, settings_.jobs))
      idle_watch = std::thread([this] { watch_for_an_idle_core(); });
    for (std::thread& t : threads) t.join();
    workers_done_ = true;
    if (idle_watch.joinable()) idle_watch.join();
    if (failure_) std::rethrow_exception(failure_);
    queue_.leave();
    if (!queue_.lead()) return {};
    report_in_order();
    // Trials a time budget left unrun leave gaps: the rest are still reported in order.
    std::vector<TrialResult> out;
    for (size_t i = 0; i < n_; ++i) {
      if (!results_[i]) results_[i] = queue_.result(static_cast<int>(i));
      if (!results_[i]) continue;
      if (i >= next_ordered_) {
        if (!results_[i]->resumed && cb_.on_finished) cb_.on_finished(*results_[i]);
        cb_.on_ordered(*results_[i]);
      }
      out.push_back(*results_[i]);
    }
    return out;
  }

 private:
  void worker() {
    try {
      while (const std::optional<int> trial = next()) run_one(*trial);
    } catch (...) {
      const std::exception_ptr e = std::current_exception();
      queue_.fail(e);
      std::lock_guard<std::mutex> g(failure_lock_);
      if (!failure_) failure_ = e;
    }
  }

  // The next trial for this rank: a dead rank's first, else a new one; none once every trial
  // ended. Rank 0 reports what has come in meanwhile.
  std::optional<int> next() {
    for (;;) {
      queue_.check();
      if (cb_.should_stop && cb_.should_stop()) throw Interrupted();
      if (queue_.lead()) report_in_order();
      if (const std::optional<int> t = queue_.take_orphan(INT_MAX)) return t;
      const double elapsed =
          std::chrono::duration<double>(std::chrono::steady_clock::now() - started_).count();
      if (const std::optional<int> t =
              queue_.take_new(settings_.time_budget_s > 0 && elapsed >= settings_.time_budget_s))
        return t;
      if (queue_.all_ended()) return std::nullopt;
      if (queue_.lead()) tell_idle();  // this worker's core idles until the search ends
      std::this_thread::sleep_for(TrialQueue::poll);
    }
  }

  // Rank 0, while its workers run: the moment fewer trials run than the machine has workers.
  void watch_for_an_idle_core() {
    while (!workers_done_ && !idle_told_ && !queue_.failing()) {
      const std::optional<size_t> running = queue_.running_when_drained();
      if (running && *running > 0 && *running < static_cast<size_t>(settings_.workers_here))
        return tell_idle();
      std::this_thread::sleep_for(TrialQueue::poll);
    }
  }

  // Rank 0: on_idle_core with the best trial so far, once.
  void tell_idle() {
    if (!cb_.on_idle_core || idle_told_.exchange(true) || queue_.failing()) return;
    std::vector<TrialResult> finished;
    for (size_t t = 0; t < n_; ++t)
      if (const std::optional<TrialResult> r = queue_.result(static_cast<int>(t))) finished.push_back(*r);
    const int b = best_trial(finished, settings_.minimise);
    if (b >= 0) cb_.on_idle_core(finished[static_cast<size_t>(b)]);
  }

  // Proposes, trains and posts one trial. A TPE trial whose history lost a trial to the time
  // budget is not run (skipped), as no trial starts after the budget.
  void run_one(int trial) {
    const size_t end = proposal_history_end(settings_, static_cast<size_t>(trial));
    std::vector<TrialResult> history;
    bool gap = false;
    const bool ready = queue_.wait_until(
        [&] {
          for (size_t u = 0; u < end; ++u)
            if (!queue_.result(static_cast<int>(u))) {
              gap = queue_.skipped(static_cast<int>(u));
              return gap;
            }
          return true;
        },
        trial);
    stop_unless(ready);
    if (gap) return queue_.skip(trial);
    for (size_t u = 0; u < end; ++u) history.push_back(*queue_.result(static_cast<int>(u)));
    const TrialResult r =
        cb_.run_trial(trial, propose(space_, settings_, static_cast<size_t>(trial), history));
    stop_unless(!queue_.failing() &&
                !(cb_.should_stop && cb_.should_stop()));  // no result of a stopping search
    queue_.post(r);
  }

  void stop_unless(bool going_on) {
    if (going_on) return;
    queue_.check();
    throw Interrupted();
  }

  // Rank 0: each trial as soon as it and every lower one have ended (journaled, then printed).
  void report_in_order() {
    std::lock_guard<std::mutex> g(order_lock_);
    while (next_ordered_ < n_) {
      std::optional<TrialResult>& slot = results_[next_ordered_];
      if (!slot) {
        if ((slot = queue_.result(static_cast<int>(next_ordered_)))) {
          if (cb_.on_finished) cb_.on_finished(*slot);
        } else if (queue_.skipped(static_cast<int>(next_ordered_))) {
          ++next_ordered_;
          continue;
        } else {
          return;
        }
      }
      cb_.on_ordered(*slot);
      ++next_ordered_;
    }
  }

  const std::vector<TunedOption>& space_;
  const SearchSettings& settings_;
  const SearchCallbacks& cb_;
  TrialQueue& queue_;
  const std::vector<TrialResult>& done_;
  const size_t n_;
  std::vector<std::optional<TrialResult>> results_;  // rank 0's, by trial
  size_t next_ordered_ = 0;
  std::mutex order_lock_, failure_lock_;
  std::exception_ptr failure_;
  const std::chrono::steady_clock::time_point started_;
  std::atomic<bool> idle_told_{false}, workers_done_{false};
};

// ASHA's rungs in the store: a trial's rung score is posted, and it waits until every lower trial
// has posted its own at that rung or ended, as AshaRungs waits in one process.
class SharedRungs final : public TrialRungs {
 public:
  SharedRungs(TrialQueue& queue, bool minimise) : queue_(queue), minimise_(minimise) {}

  void add_finished(const TrialResult&) override {}  // rank 0 posts the journal's trials
  void ended(int) override {}                        // a trial's result says it ended
  void abandon() override {}                         // the queue's failure ends every wait

  bool promote(int trial, size_t rung, double score) override {
    queue_.post_rung(trial, rung, score);
    std::vector<double> rivals;
    const bool ready = queue_.wait_until(
        [&] {
          rivals = {score};
          for (int u = 0; u < trial; ++u) {
            if (const std::optional<TrialResult> r = queue_.result(u)) {
              if (r->rungs.size() > rung) rivals.push_back(r->rungs[rung]);
            } else if (const std::optional<double> s = queue_.rung(u, rung)) {
              rivals.push_back(*s);
            } else if (!queue_.skipped(u)) {
              return false;
            }
          }
          return true;
        },
        trial);
    return ready && asha_promotes(score, rivals, minimise_);
  }

 private:
  TrialQueue& queue_;
  const bool minimise_;
};

}  // namespace

std::vector<TrialResult> run_rank_search(const std::vector<TunedOption>& space,
                                         const SearchSettings& settings,
                                         const std::vector<TrialResult>& done,
                                         const SearchCallbacks& cb) {
  return RankSearch(space, settings, done, cb).run();
}

std::unique_ptr<TrialRungs> shared_rungs(TrialQueue& queue, bool minimise) {
  return std::make_unique<SharedRungs>(queue, minimise);
}

}  // namespace collab
