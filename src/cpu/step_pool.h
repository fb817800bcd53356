// A helper thread for the CPU engine's steps: a step is a few hundred microseconds, too short to
// start threads for and too frequent to wake a sleeping one through the kernel each time. The
// helper spins briefly between steps and then sleeps, so that it never holds a core for long
// when the engine has chosen to run on one thread (OpenMP's workers spin for milliseconds,
// which made two threads many times slower than one while another process held a core).
#pragma once

#include <atomic>
#include <condition_variable>
#include <cstdint>
#include <functional>
#include <mutex>
#include <thread>

namespace collab {

class StepPool {
 public:
  // threads: 1 (no helper) or 2. on_start runs once on the helper thread (flushing denormals).
  StepPool(int threads, std::function<void()> on_start);
  ~StepPool();
  StepPool(const StepPool&) = delete;
  StepPool& operator=(const StepPool&) = delete;

  int threads() const { return helper_.joinable() ? 2 : 1; }

  // Runs work(part, parts) for part 0 and 1 of `parts` (1 or 2) on this thread and the helper;
  // returns when both are done.
  void run(int parts, const std::function<void(int, int)>& work);

 private:
  void helper_loop(std::function<void()> on_start);

  std::thread helper_;
  const std::function<void(int, int)>* work_ = nullptr;
  std::atomic<std::uint64_t> posted_{0};    // generation of the latest work
  std::atomic<std::uint64_t> finished_{0};  // generation the helper last finished
  std::atomic<bool> sleeping_{false};
  std::atomic<bool> quit_{false};
  std::mutex mutex_;
  std::condition_variable wake_;
};

}  // namespace collab
