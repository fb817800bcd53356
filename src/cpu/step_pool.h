// Helper threads for the CPU engine's steps: a step is a few hundred microseconds, too short to
// start threads for and too frequent to wake sleeping ones through the kernel each time. The
// helpers spin briefly between steps and then sleep, so that they never hold a core for long
// when the engine has chosen to run on one thread (OpenMP's workers spin for milliseconds,
// which made two threads many times slower than one while another process held a core).
#pragma once

#include <atomic>
#include <condition_variable>
#include <cstdint>
#include <functional>
#include <mutex>
#include <thread>
#include <vector>

namespace collab {

class StepPool {
 public:
  // threads: this one and threads - 1 helpers. on_start runs once on each helper (flushing
  // denormals).
  StepPool(int threads, std::function<void()> on_start);
  ~StepPool();
  StepPool(const StepPool&) = delete;
  StepPool& operator=(const StepPool&) = delete;

  int threads() const { return static_cast<int>(helpers_.size()) + 1; }

  // Runs work(part, parts) for every part of min(parts, threads()): part 0 on this thread, the
  // others on the helpers; returns when all are done.
  void run(int parts, const std::function<void(int, int)>& work);

 private:
  void helper_loop(int part, std::function<void()> on_start);

  std::vector<std::thread> helpers_;
  const std::function<void(int, int)>* work_ = nullptr;
  // The latest work's generation and its number of parts, in one word so that a helper never
  // pairs one work's generation with another's parts: generation * kMaxParts + parts.
  static constexpr std::uint64_t kMaxParts = 4096;
  std::atomic<std::uint64_t> posted_{0};
  std::atomic<int> unfinished_{0};  // helpers still on the latest work
  std::atomic<int> sleeping_{0};
  std::atomic<bool> quit_{false};
  std::mutex mutex_;
  std::condition_variable wake_;
};

}  // namespace collab
