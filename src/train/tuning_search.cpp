// The search loop of train/tuning.h (run_search): trials handed out from one queue to worker
// threads, TPE's proposals waiting for the trials they see, results reported in trial order.
#include "train/tuning.h"

#include <algorithm>
#include <chrono>
#include <condition_variable>
#include <exception>
#include <mutex>
#include <optional>
#include <thread>

namespace collab {
namespace {

class Search {
 public:
  Search(const std::vector<TunedOption>& space, const SearchSettings& settings, const std::vector<TrialResult>& done,
         const SearchCallbacks& cb)
      : space_(space), settings_(settings), cb_(cb), n_(search_size(space, settings)), results_(n_),
        started_(std::chrono::steady_clock::now()) {
    for (const TrialResult& r : done)
      if (r.trial >= 0 && static_cast<size_t>(r.trial) < n_) results_[r.trial] = r;
  }

  std::vector<TrialResult> run() {
    const int jobs = std::max(1, settings_.jobs);
    if (jobs == 1) {
      worker();
    } else {
      std::vector<std::thread> threads;
      for (int j = 0; j < jobs; ++j) threads.emplace_back([this] { worker(); });
      for (std::thread& t : threads) t.join();
    }
    if (failure_) std::rethrow_exception(failure_);
    // Trials a time budget left unrun leave gaps: the rest are still reported in order.
    std::vector<TrialResult> out;
    for (size_t i = 0; i < n_; ++i) {
      if (!results_[i]) continue;
      if (i >= next_ordered_) cb_.on_ordered(*results_[i]);
      out.push_back(*results_[i]);
    }
    return out;
  }

 private:
  void flush_ordered() {  // under the lock
    while (next_ordered_ < n_ && results_[next_ordered_]) cb_.on_ordered(*results_[next_ordered_++]);
  }

  // The next trial to run, or none: all handed out, stopped, or out of time.
  size_t trial_at(size_t k) const { return settings_.order.empty() ? k : static_cast<size_t>(settings_.order[k]); }

  std::optional<size_t> take_trial() {
    std::lock_guard<std::mutex> g(lock_);
    flush_ordered();
    while (next_ < n_ && results_[trial_at(next_)]) ++next_;
    const double elapsed = std::chrono::duration<double>(std::chrono::steady_clock::now() - started_).count();
    if (stop_ || next_ >= n_ || (settings_.time_budget_s > 0 && started_one_ && elapsed >= settings_.time_budget_s))
      return std::nullopt;
    if (cb_.should_stop && cb_.should_stop()) {
      stop_ = true;
      return std::nullopt;
    }
    started_one_ = true;  // the budget never stops the first trial
    ++running_;
    return trial_at(next_++);
  }

  // The trial's configuration; none when another trial failed while a TPE proposal waited.
  std::optional<Configuration> propose(size_t trial) {
    // Every trial below the batch's start was handed out before this one, so each is running
    // or done (resumed ones are done): waiting for them cannot deadlock.
    const size_t end = proposal_history_end(settings_, trial);
    std::vector<TrialResult> history;
    if (end > 0) {
      std::unique_lock<std::mutex> g(lock_);
      finished_.wait(g, [&] {
        if (failure_) return true;
        for (size_t u = 0; u < end; ++u)
          if (!results_[u]) return false;
        return true;
      });
      if (failure_) return std::nullopt;
      for (size_t u = 0; u < end; ++u) history.push_back(*results_[u]);
    }
    return collab::propose(space_, settings_, trial, history);
  }

  void worker() {
    while (const std::optional<size_t> trial = take_trial()) {
      const std::optional<Configuration> values = propose(*trial);
      if (!values) return;
      try {
        TrialResult r = cb_.run_trial(static_cast<int>(*trial), *values);
        std::lock_guard<std::mutex> g(lock_);
        if (cb_.on_finished) cb_.on_finished(r);
        results_[*trial] = std::move(r);
        --running_;
        finished_.notify_all();
      } catch (...) {
        std::lock_guard<std::mutex> g(lock_);
        if (!failure_) failure_ = std::current_exception();
        stop_ = true;
        finished_.notify_all();
        return;
      }
    }
    idle();
  }

  // This worker has nothing left to take while others still run: its core is idle.
  void idle() {
    std::optional<TrialResult> best;
    {
      std::lock_guard<std::mutex> g(lock_);
      if (!cb_.on_idle_core || idle_told_ || stop_ || failure_ || running_ == 0) return;
      std::vector<TrialResult> finished;
      for (const auto& r : results_)
        if (r) finished.push_back(*r);
      const int b = best_trial(finished, settings_.minimise);
      if (b < 0) return;
      idle_told_ = true;
      best = finished[static_cast<size_t>(b)];
    }
    cb_.on_idle_core(*best);
  }

  const std::vector<TunedOption>& space_;
  const SearchSettings& settings_;
  const SearchCallbacks& cb_;
  const size_t n_;
  std::vector<std::optional<TrialResult>> results_;
  const std::chrono::steady_clock::time_point started_;
  std::mutex lock_;
  std::condition_variable finished_;  // TPE: a proposal waits for the trials it sees
  size_t next_ = 0, next_ordered_ = 0;  // next_: the next place in the hand-out order
  size_t running_ = 0;  // trials taken and not yet finished
  bool stop_ = false, started_one_ = false, idle_told_ = false;
  std::exception_ptr failure_;
};

}  // namespace

size_t search_size(const std::vector<TunedOption>& space, const SearchSettings& settings) {
  return settings.kind == SearchKind::grid ? std::min<size_t>(settings.trials, grid_size(space))
                                           : static_cast<size_t>(settings.trials);
}

std::vector<int> longest_first(const std::vector<TunedOption>& space, const SearchSettings& settings,
                               const std::function<double(const Configuration&)>& cost) {
  if (settings.kind == SearchKind::tpe) return {};
  const size_t n = search_size(space, settings);
  std::vector<double> c(n);
  std::vector<int> order(n);
  for (size_t t = 0; t < n; ++t) {
    c[t] = cost(propose(space, settings, t, {}));
    order[t] = static_cast<int>(t);
  }
  std::stable_sort(order.begin(), order.end(), [&](int a, int b) { return c[a] > c[b]; });
  return order;
}

size_t proposal_history_end(const SearchSettings& settings, size_t trial) {
  return settings.kind == SearchKind::tpe ? tpe_history_end(trial) : 0;
}

Configuration propose(const std::vector<TunedOption>& space, const SearchSettings& settings, size_t trial,
                      const std::vector<TrialResult>& history) {
  if (settings.kind == SearchKind::grid) return grid_configuration(space, trial);
  if (settings.kind == SearchKind::random || trial < kTpeStartupTrials)
    return random_configuration(space, settings.seed, trial);
  return tpe_configuration(space, settings.seed, trial, history, settings.minimise);
}

std::vector<TrialResult> run_search(const std::vector<TunedOption>& space, const SearchSettings& settings,
                                    const std::vector<TrialResult>& done, const SearchCallbacks& cb) {
  if (settings.queue) return run_rank_search(space, settings, done, cb);
  return Search(space, settings, done, cb).run();
}

}  // namespace collab
