// Setup work shared by the usable cores: gathering tens of millions of ratings by row number is
// bound by memory latency, which more cores hide in parallel.
#pragma once

#include <cstddef>
#include <functional>

namespace collab {

// fn(from, to) over [0, n) cut into contiguous ranges, one a thread, on as many of the usable
// cores as give each range at least `min_per_range` elements (starting a thread costs tens of
// microseconds); on the calling thread alone when that is one. fn must not depend on how [0, n)
// is cut. An exception in any range is rethrown here once all have ended.
void parallel_ranges(size_t n, size_t min_per_range, const std::function<void(size_t, size_t)>& fn);

}  // namespace collab
