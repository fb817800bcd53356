#include "support/parallel.h"

#include <algorithm>
#include <exception>
#include <thread>
#include <vector>

#include "support/cores.h"

namespace collab {

void parallel_ranges(size_t n, size_t min_per_range, const std::function<void(size_t, size_t)>& fn) {
  constexpr size_t kMostRanges = 16;
  const size_t by_size = min_per_range ? n / min_per_range : n;
  const size_t ranges = std::min({static_cast<size_t>(usable_cores()), by_size, kMostRanges});
  if (ranges <= 1) {
    fn(0, n);
    return;
  }
  std::vector<std::exception_ptr> failures(ranges);
  auto run = [&](size_t r) {
    try {
      fn(n * r / ranges, n * (r + 1) / ranges);
    } catch (...) {
      failures[r] = std::current_exception();
    }
  };
  std::vector<std::thread> helpers;
  helpers.reserve(ranges - 1);
  for (size_t r = 1; r < ranges; ++r) helpers.emplace_back(run, r);
  run(0);
  for (auto& h : helpers) h.join();
  for (const auto& failure : failures)
    if (failure) std::rethrow_exception(failure);
}

}  // namespace collab
