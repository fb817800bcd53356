// parallel_ranges: setup work (a split's gathers) shared by the cores.
#include "support/parallel.h"

#include <gtest/gtest.h>

#include <algorithm>
#include <mutex>
#include <stdexcept>
#include <thread>
#include <utility>
#include <vector>

#include "support/cores.h"

using namespace collab;

namespace {
std::vector<std::pair<size_t, size_t>> ranges_of(size_t n, size_t min_per_range) {
  std::mutex mutex;
  std::vector<std::pair<size_t, size_t>> ranges;
  parallel_ranges(n, min_per_range, [&](size_t from, size_t to) {
    std::lock_guard<std::mutex> lock(mutex);
    ranges.emplace_back(from, to);
  });
  std::sort(ranges.begin(), ranges.end());
  return ranges;
}
}  // namespace

TEST(ParallelRanges, CoversEveryIndexOnceInContiguousRanges) {
  for (size_t n : {size_t{0}, size_t{1}, size_t{999}, size_t{1000000}}) {
    const auto ranges = ranges_of(n, 1000);
    ASSERT_FALSE(ranges.empty());
    EXPECT_EQ(ranges.front().first, 0u);
    EXPECT_EQ(ranges.back().second, n);
    for (size_t r = 1; r < ranges.size(); ++r) EXPECT_EQ(ranges[r].first, ranges[r - 1].second) << n;
    EXPECT_LE(ranges.size(), static_cast<size_t>(std::max(1, usable_cores())));
  }
}

TEST(ParallelRanges, SmallWorkStaysOnTheCallingThread) {
  const auto caller = std::this_thread::get_id();
  std::thread::id ran_on;
  int calls = 0;
  parallel_ranges(1500, 1000, [&](size_t from, size_t to) {
    ran_on = std::this_thread::get_id();
    ++calls;
    EXPECT_EQ(from, 0u);
    EXPECT_EQ(to, 1500u);
  });
  EXPECT_EQ(calls, 1);
  EXPECT_EQ(ran_on, caller);
}

TEST(ParallelRanges, RethrowsARangesFailureAfterAllEnd) {
  std::mutex mutex;
  size_t done = 0;
  auto work = [&](size_t from, size_t to) {
    if (to == 1000000) throw std::runtime_error("the last range failed");
    std::lock_guard<std::mutex> lock(mutex);
    done += to - from;
  };
  try {
    parallel_ranges(1000000, 1000, work);
    FAIL() << "no exception";
  } catch (const std::runtime_error& e) {
    EXPECT_STREQ(e.what(), "the last range failed");
  }
  const auto ranges = ranges_of(1000000, 1000);  // the others all ran to their end
  EXPECT_EQ(done, ranges.size() > 1 ? ranges.back().first : 0u);
}
