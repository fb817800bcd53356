#include "cpu/step_pool.h"

#include <algorithm>
#include <chrono>

#include <immintrin.h>

namespace collab {
namespace {
// About how long a helper waits for the next step before it sleeps: longer than the serial
// part of a step, far shorter than a scheduler's time slice.
constexpr auto kSpin = std::chrono::microseconds(100);
}  // namespace

StepPool::StepPool(int threads, std::function<void()> on_start) {
  const int helpers = std::clamp(threads, 1, static_cast<int>(kMaxParts) - 1) - 1;
  for (int part = 1; part <= helpers; ++part)
    helpers_.emplace_back([this, part, on_start] { helper_loop(part, on_start); });
}

StepPool::~StepPool() {
  {
    std::lock_guard<std::mutex> lock(mutex_);
    quit_ = true;
  }
  wake_.notify_all();
  for (std::thread& helper : helpers_) helper.join();
}

void StepPool::run(int parts, const std::function<void(int, int)>& work) {
  parts = std::min(parts, threads());
  if (parts < 2) {
    work(0, 1);
    return;
  }
  work_ = &work;
  unfinished_.store(parts - 1, std::memory_order_relaxed);
  const std::uint64_t generation = posted_.load(std::memory_order_relaxed) / kMaxParts + 1;
  {
    // Publishing under the lock means a helper about to sleep cannot miss the notification.
    std::lock_guard<std::mutex> lock(mutex_);
    posted_.store(generation * kMaxParts + static_cast<std::uint64_t>(parts), std::memory_order_release);
  }
  if (sleeping_.load(std::memory_order_acquire) > 0) wake_.notify_all();
  work(0, parts);
  while (unfinished_.load(std::memory_order_acquire) != 0) _mm_pause();
}

void StepPool::helper_loop(int part, std::function<void()> on_start) {
  if (on_start) on_start();
  std::uint64_t seen = 0;
  for (;;) {
    const auto spin_until = std::chrono::steady_clock::now() + kSpin;
    while (posted_.load(std::memory_order_acquire) == seen && !quit_.load(std::memory_order_relaxed)) {
      for (int i = 0; i < 64; ++i) _mm_pause();
      if (std::chrono::steady_clock::now() > spin_until) {
        std::unique_lock<std::mutex> lock(mutex_);
        sleeping_.fetch_add(1, std::memory_order_release);
        wake_.wait(lock, [&] { return posted_.load(std::memory_order_acquire) != seen || quit_.load(); });
        sleeping_.fetch_sub(1, std::memory_order_release);
      }
    }
    if (quit_.load()) return;
    seen = posted_.load(std::memory_order_acquire);
    const int parts = static_cast<int>(seen % kMaxParts);
    if (part >= parts) continue;  // not needed this time; the others finish without it
    (*work_)(part, parts);
    unfinished_.fetch_sub(1, std::memory_order_acq_rel);
  }
}

}  // namespace collab
