// The store-kept queue of trials of train/trial_queue.h: handing out, posting, the heartbeat that
// finds dead ranks, and the waits that run their trials again.
#include "train/trial_queue.h"

#include <algorithm>
#include <cstdio>
#include <cstdlib>

#include "support/error.h"

namespace collab {
namespace {

using Clock = std::chrono::steady_clock;

// Often enough that a timeout spans several beats, seldom enough to cost the store nothing.
std::chrono::milliseconds beat_interval(std::chrono::milliseconds timeout) {
  return std::clamp(timeout / 4, std::chrono::milliseconds(50), std::chrono::milliseconds(1000));
}

std::string number(double v) {
  char text[40];
  std::snprintf(text, sizeof text, "%.17g", v);  // enough digits to come back bit for bit
  return text;
}

// The failure another rank posted ("CODE RANK MESSAGE"), as this rank's own error.
std::exception_ptr posted_failure(const std::string& text) {
  char* end = nullptr;
  const long code = std::strtol(text.c_str(), &end, 10);
  const long rank = std::strtol(end, &end, 10);
  const std::string message = *end == ' ' ? end + 1 : end;
  return std::make_exception_ptr(
      Error(static_cast<ExitCode>(code),
            "rank " + std::to_string(rank) + " stopped the search: " + message));
}

}  // namespace

TrialQueue::TrialQueue(Communicator& ranks, const std::vector<TunedOption>& space,
                       std::string search, size_t trials, std::chrono::milliseconds timeout)
    : ranks_(ranks), space_(space), search_(std::move(search)), n_(trials), timeout_(timeout) {
  const auto now = Clock::now();
  for (int r = 0; r < ranks_.world_size(); ++r)
    if (r != ranks_.rank()) beats_[r] = {-1, now};  // -1: the first look counts as a beat
  watcher_ = std::thread([this] { watch(); });
}

TrialQueue::~TrialQueue() {
  {
    std::lock_guard<std::mutex> g(lock_);
    stop_ = true;
  }
  stopping_.notify_all();
  watcher_.join();
}

std::int64_t TrialQueue::count(const std::string& what) {
  const std::optional<std::string> v = ranks_.store_get(key(what));
  return v ? std::strtoll(v->c_str(), nullptr, 10) : 0;
}

void TrialQueue::open(const std::vector<TrialResult>& done) {
  if (lead()) {
    for (const TrialResult& r : done)
      if (r.trial >= 0 && static_cast<size_t>(r.trial) < n_) post(r);
    ranks_.store_set(key("ready"), "1");
    return;
  }
  if (wait_until([this] { return ranks_.store_get(key("ready")).has_value(); }, 0)) return;
  check();
  throw Interrupted();
}

void TrialQueue::set_runner(std::function<void(int)> run, std::function<bool()> should_stop) {
  run_ = std::move(run);
  should_stop_ = std::move(should_stop);
}

std::optional<int> TrialQueue::take_orphan(int below) {
  int trial = 0, owner = 0, generation = 0;
  {
    std::lock_guard<std::mutex> g(lock_);
    const auto it = orphans_.begin();
    if (it == orphans_.end() || it->first >= below) return std::nullopt;
    trial = it->first, owner = it->second.first, generation = it->second.second;
    orphans_.erase(it);
  }
  const std::string t = std::to_string(trial);
  if (ranks_.store_add(key("rescue/" + t + "/" + std::to_string(generation)), 1) != 1)
    return std::nullopt;
  if (resolved(trial)) return std::nullopt;  // it ended meanwhile
  ranks_.store_set(key("owner/" + t),
                   std::to_string(ranks_.rank()) + " " + std::to_string(generation + 1));
  std::fprintf(stderr, "collab: rank %d runs trial %d again: %s\n", ranks_.rank(), trial,
               owner < 0 ? "the rank it was handed to never said which it was"
                         : ("rank " + std::to_string(owner) + " stopped answering").c_str());
  return trial;
}

std::optional<int> TrialQueue::take_new(bool budget_passed) {
  for (;;) {
    if (static_cast<size_t>(count("next")) >= n_ || ranks_.store_get(key("closed")))
      return std::nullopt;
    const std::int64_t k = ranks_.store_add(key("next"), 1) - 1;
    if (static_cast<size_t>(k) >= n_) return std::nullopt;
    const int trial = trial_at(static_cast<size_t>(k));
    if (resolved(trial)) continue;  // a journal's
    // Read after the handing out: a rank that sees the queue open here started before it closed.
    if (ranks_.store_get(key("closed")) || (budget_passed && count("begun") > 0)) {
      ranks_.store_set(key("closed"), "1");
      skip(trial);
      return std::nullopt;
    }
    ranks_.store_add(key("begun"), 1);
    ranks_.store_set(key("owner/" + std::to_string(trial)), std::to_string(ranks_.rank()) + " 0");
    return trial;
  }
}

bool TrialQueue::all_ended() {
  const std::optional<size_t> running = running_when_drained();
  return running && *running == 0;
}

std::optional<size_t> TrialQueue::running_when_drained() {
  // Closed first, then how many were handed out: a trial handed out later sees the queue closed.
  const bool closed = ranks_.store_get(key("closed")).has_value();
  const size_t handed = std::min<size_t>(n_, static_cast<size_t>(count("next")));
  if (!closed && handed < n_) return std::nullopt;
  size_t running = 0;
  for (size_t k = 0; k < handed; ++k)
    if (!resolved(trial_at(k))) ++running;
  return running;
}

void TrialQueue::post(const TrialResult& r) {
  ranks_.store_set(key("result/" + std::to_string(r.trial)), journal_line(space_, search_, r));
  std::lock_guard<std::mutex> g(lock_);
  results_[r.trial] = r;
}

void TrialQueue::skip(int trial) {
  ranks_.store_set(key("skipped/" + std::to_string(trial)), "1");
  std::lock_guard<std::mutex> g(lock_);
  skipped_.insert(trial);
}

std::optional<TrialResult> TrialQueue::result(int trial) {
  {
    std::lock_guard<std::mutex> g(lock_);
    if (const auto it = results_.find(trial); it != results_.end()) return it->second;
  }
  const std::optional<std::string> line = ranks_.store_get(key("result/" + std::to_string(trial)));
  if (!line) return std::nullopt;
  TrialResult r = parse_journal_line(*line, space_, search_,
                                     "trial " + std::to_string(trial) + " from the store");
  std::lock_guard<std::mutex> g(lock_);
  return results_.emplace(trial, std::move(r)).first->second;
}

bool TrialQueue::skipped(int trial) {
  {
    std::lock_guard<std::mutex> g(lock_);
    if (skipped_.count(trial)) return true;
  }
  if (!ranks_.store_get(key("skipped/" + std::to_string(trial)))) return false;
  std::lock_guard<std::mutex> g(lock_);
  skipped_.insert(trial);
  return true;
}

bool TrialQueue::resolved(int trial) { return result(trial) || skipped(trial); }

void TrialQueue::post_rung(int trial, size_t rung, double score) {
  ranks_.store_set(key("rung/" + std::to_string(trial) + "/" + std::to_string(rung)),
                   number(score));
}

std::optional<double> TrialQueue::rung(int trial, size_t rung) {
  const std::optional<std::string> v =
      ranks_.store_get(key("rung/" + std::to_string(trial) + "/" + std::to_string(rung)));
  if (!v) return std::nullopt;
  return std::strtod(v->c_str(), nullptr);
}

bool TrialQueue::wait_until(const std::function<bool()>& ready, int below) {
  while (!ready()) {
    if (failing() || (should_stop_ && should_stop_())) return false;
    if (const std::optional<int> t = take_orphan(below)) {
      run_elsewhere(*t);
      continue;
    }
    std::this_thread::sleep_for(poll);
  }
  return true;
}

// A fresh thread, as --jobs' workers have: the trial shares no thread-local state with the trial
// that waits. What it throws fails this rank's search rather than the waiting trial alone.
void TrialQueue::run_elsewhere(int trial) {
  std::exception_ptr thrown;
  std::thread([&] {
    try {
      run_(trial);
    } catch (...) {
      thrown = std::current_exception();
    }
  }).join();
  if (thrown) fail(thrown);
}

void TrialQueue::check() {
  std::lock_guard<std::mutex> g(lock_);
  if (failure_) std::rethrow_exception(failure_);
}

bool TrialQueue::failing() const {
  std::lock_guard<std::mutex> g(lock_);
  return failure_ != nullptr;
}

void TrialQueue::fail(const std::exception_ptr& e) {
  {
    std::lock_guard<std::mutex> g(lock_);
    if (!failure_) failure_ = e;
  }
  int code = static_cast<int>(ExitCode::internal);
  std::string message = "an unknown failure";
  try {
    std::rethrow_exception(e);
  } catch (const Error& x) {
    code = static_cast<int>(x.code()), message = x.what();
  } catch (const std::exception& x) {
    message = x.what();
  } catch (...) {
  }
  try {  // the first failure of all the ranks is the one posted
    if (ranks_.store_add(key("failures"), 1) == 1)
      ranks_.store_set(key("failed"),
                       std::to_string(code) + " " + std::to_string(ranks_.rank()) + " " + message);
  } catch (...) {  // the store is gone: the others find out by themselves
  }
}

void TrialQueue::leave() {
  if (!lead()) {
    ranks_.store_set(key("left/" + std::to_string(ranks_.rank())), "1");
    return;
  }
  for (int r = 1; r < ranks_.world_size(); ++r)
    while (!ranks_.store_get(key("left/" + std::to_string(r)))) {
      {
        std::lock_guard<std::mutex> g(lock_);
        if (dead(r) || failure_) break;
      }
      std::this_thread::sleep_for(poll);
    }
}

bool TrialQueue::dead(int rank) const {
  const auto it = beats_.find(rank);
  return it != beats_.end() && Clock::now() - it->second.second > timeout_;
}

void TrialQueue::watch() {
  std::unique_lock<std::mutex> g(lock_);
  while (!stop_) {
    g.unlock();
    std::exception_ptr failed;
    try {
      heartbeat();
    } catch (...) {
      failed = std::current_exception();
    }
    g.lock();
    if (failed && !failure_) failure_ = failed;
    if (failed) return;
    stopping_.wait_for(g, beat_interval(timeout_), [this] { return stop_; });
  }
}

// One beat: this rank's, the others' read, the trials in flight checked for dead owners.
void TrialQueue::heartbeat() {
  const int me = ranks_.rank();
  ranks_.store_add(key("beat/" + std::to_string(me)), 1);
  const auto now = Clock::now();
  std::map<int, std::int64_t> seen;
  for (int r = 0; r < ranks_.world_size(); ++r)
    if (r != me) seen[r] = count("beat/" + std::to_string(r));
  std::map<int, std::optional<std::string>> owners;  // the unfinished trials handed out
  const size_t handed = std::min<size_t>(n_, static_cast<size_t>(count("next")));
  for (size_t k = 0; k < handed; ++k)
    if (const int t = trial_at(k); !resolved(t))
      owners[t] = ranks_.store_get(key("owner/" + std::to_string(t)));
  const std::optional<std::string> failed = ranks_.store_get(key("failed"));
  std::lock_guard<std::mutex> g(lock_);
  if (failed && !failure_) failure_ = posted_failure(*failed);
  for (const auto& [r, beat] : seen)
    if (beats_[r].first != beat) beats_[r] = {beat, now};
  if (!lead() && dead(0) && !failure_)
    failure_ = std::make_exception_ptr(
        unavailable("rank 0, which prints the results, stopped answering (no heartbeat for "
                    "--dist-timeout); run the search again "
                    "(with --journal it resumes)"));
  std::map<int, std::pair<int, int>> orphans;
  for (const auto& [t, owner] : owners) {
    if (!owner) {  // handed out, its owner not yet named: dead if it stays so
      const auto since = ownerless_.emplace(t, now).first->second;
      if (now - since > timeout_) orphans[t] = {-1, 0};
      continue;
    }
    ownerless_.erase(t);
    int rank = -1, generation = 0;
    std::sscanf(owner->c_str(), "%d %d", &rank, &generation);
    if (rank != me && dead(rank)) orphans[t] = {rank, generation};
  }
  orphans_ = std::move(orphans);
}

}  // namespace collab
