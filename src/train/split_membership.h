// A split told by each row's role (trains, validates, held out) in the data's row order, rather
// than by lists of rows in the split's order: what a rank that never holds every rating can work
// out (pipeline/rank_local.h), and the fingerprint that names such a split in a model file.
#pragma once

#include <cstddef>
#include <cstdint>
#include <string>
#include <vector>

#include "support/hash.h"
#include "train/split.h"

namespace collab {

enum RowRole : std::uint8_t { kTrains = 0, kValidates = 1, kHeldOut = 2 };

// The random split (random_split) of n rows without the ratings: the first
// floor(valid_pct * n) rows of the seed's permutation validate, the rest train.
std::vector<std::uint8_t> random_split_roles(size_t n, double valid_pct, std::uint64_t seed);
// The roles of a split made in memory, from its lists of rows.
std::vector<std::uint8_t> split_roles(const TrainValidSplit& split, size_t n);

// A hash of every row's user, item, rating and role in row order, fed chunks of consecutive rows:
// any chunking gives the same digest.
class SplitMembershipHash {
 public:
  void add(const std::int32_t* user, const std::int32_t* item, const float* rating, const std::uint8_t* role,
           size_t n);
  std::string hex() const;  // 16 hex digits

 private:
  Hasher user_, item_, rating_, role_;
};

// The hash of a split made in memory of `data`.
std::string membership_fingerprint(const EncodedRatings& data, const TrainValidSplit& split);

}  // namespace collab
