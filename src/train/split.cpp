#include "train/split.h"

#include <numeric>

#include "support/error.h"
#include "support/random.h"

namespace collab {

TrainValidSplit random_split(const EncodedRatings& data, double valid_pct, std::uint64_t seed) {
  if (!(valid_pct >= 0.0 && valid_pct < 1.0))
    throw usage_error("--valid-pct must be in [0, 1), got " + std::to_string(valid_pct));
  const size_t n = data.size();
  std::vector<std::int32_t> order(n);
  std::iota(order.begin(), order.end(), 0);
  Rng rng(seed, /*stream=*/1);
  rng.shuffle(order);
  const auto cut = static_cast<size_t>(valid_pct * static_cast<double>(n));
  TrainValidSplit s;
  auto take = [&](RatingSet& set, size_t from, size_t to) {
    set.user.reserve(to - from);
    set.item.reserve(to - from);
    set.rating.reserve(to - from);
    for (size_t k = from; k < to; ++k) {
      const auto row = static_cast<size_t>(order[k]);
      set.user.push_back(data.user[row]);
      set.item.push_back(data.item[row]);
      set.rating.push_back(data.rating[row]);
    }
  };
  take(s.valid, 0, cut);
  take(s.train, cut, n);
  return s;
}

}  // namespace collab
