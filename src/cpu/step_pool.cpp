#include "cpu/step_pool.h"

#include <chrono>

#include <immintrin.h>

namespace collab {
namespace {
// About how long the helper waits for the next step before it sleeps: longer than the serial
// part of a step, far shorter than a scheduler's time slice.
constexpr auto kSpin = std::chrono::microseconds(100);
}  // namespace

StepPool::StepPool(int threads, std::function<void()> on_start) {
  if (threads > 1) helper_ = std::thread([this, on_start] { helper_loop(on_start); });
}

StepPool::~StepPool() {
  if (!helper_.joinable()) return;
  {
    std::lock_guard<std::mutex> lock(mutex_);
    quit_ = true;
  }
  wake_.notify_one();
  helper_.join();
}

void StepPool::run(int parts, const std::function<void(int, int)>& work) {
  if (parts < 2 || !helper_.joinable()) {
    work(0, 1);
    return;
  }
  work_ = &work;
  const std::uint64_t generation = posted_.load(std::memory_order_relaxed) + 1;
  {
    // Publishing under the lock means a helper about to sleep cannot miss the notification.
    std::lock_guard<std::mutex> lock(mutex_);
    posted_.store(generation, std::memory_order_release);
  }
  if (sleeping_.load(std::memory_order_acquire)) wake_.notify_one();
  work(0, 2);
  while (finished_.load(std::memory_order_acquire) != generation) _mm_pause();
}

void StepPool::helper_loop(std::function<void()> on_start) {
  if (on_start) on_start();
  std::uint64_t seen = 0;
  for (;;) {
    const auto spin_until = std::chrono::steady_clock::now() + kSpin;
    while (posted_.load(std::memory_order_acquire) == seen && !quit_.load(std::memory_order_relaxed)) {
      for (int i = 0; i < 64; ++i) _mm_pause();
      if (std::chrono::steady_clock::now() > spin_until) {
        std::unique_lock<std::mutex> lock(mutex_);
        sleeping_.store(true, std::memory_order_release);
        wake_.wait(lock, [&] { return posted_.load(std::memory_order_acquire) != seen || quit_.load(); });
        sleeping_.store(false, std::memory_order_release);
      }
    }
    if (quit_.load()) return;
    seen = posted_.load(std::memory_order_acquire);
    (*work_)(1, 2);
    finished_.store(seen, std::memory_order_release);
  }
}

}  // namespace collab
