// With --threads 0, exact mode chooses between one thread and all by measuring: every 256 steps
// the next 16 run on one thread and 16 on all, and the faster (by median) serves until the next
// probe. Threads that spin while another process holds a core are many times slower than one.
// The results are the same bits either way.
#pragma once

#include <algorithm>
#include <array>
#include <chrono>
#include <cstdint>

namespace collab {

class ThreadProbe {
 public:
  // adaptive: choose by measuring; else always `most` threads.
  ThreadProbe(bool adaptive, int most) : adaptive_(adaptive), most_(most) {}

  bool adaptive() const { return adaptive_; }
  int most() const { return most_; }

  int threads_for_this_step() const {
    if (!adaptive_ || most_ == 1) return most_;
    const std::int64_t phase = clock_ % kEvery;
    if (phase < kSteps) return 1;
    if (phase < 2 * kSteps) return most_;
    return chosen_;
  }

  void record(int threads, std::chrono::steady_clock::duration took) {
    const std::int64_t phase = clock_++ % kEvery;
    if (phase >= 2 * kSteps) return;
    (threads == 1 ? single_ : multi_)[static_cast<size_t>(phase % kSteps)] = took;
    if (phase == 2 * kSteps - 1) chosen_ = median(multi_) < median(single_) ? most_ : 1;
  }

 private:
  static constexpr std::int64_t kEvery = 256, kSteps = 16;
  using Times = std::array<std::chrono::steady_clock::duration, kSteps>;
  static std::chrono::steady_clock::duration median(Times times) {
    std::nth_element(times.begin(), times.begin() + kSteps / 2, times.end());
    return times[kSteps / 2];
  }
  bool adaptive_;
  int most_;
  int chosen_ = 1;
  std::int64_t clock_ = 0;  // timed steps so far
  Times single_{}, multi_{};
};

}  // namespace collab
