#include "train/split_membership.h"

namespace collab {

std::vector<std::uint8_t> random_split_roles(size_t n, double valid_pct, std::uint64_t seed) {
  std::vector<std::uint8_t> role(n, kTrains);
  const std::vector<std::int32_t> order = split_permutation(n, seed);
  const auto cut = static_cast<size_t>(valid_pct * static_cast<double>(n));
  for (size_t k = 0; k < cut; ++k) role[static_cast<size_t>(order[k])] = kValidates;
  return role;
}

std::vector<std::uint8_t> split_roles(const TrainValidSplit& split, size_t n) {
  std::vector<std::uint8_t> role(n, kTrains);
  for (auto r : split.valid_rows) role[static_cast<size_t>(r)] = kValidates;
  for (auto r : split.test_rows) role[static_cast<size_t>(r)] = kHeldOut;
  return role;
}

void SplitMembershipHash::add(const std::int32_t* user, const std::int32_t* item, const float* rating,
                              const std::uint8_t* role, size_t n) {
  user_.update(user, n * sizeof *user);
  item_.update(item, n * sizeof *item);
  rating_.update(rating, n * sizeof *rating);
  role_.update(role, n);
}

std::string SplitMembershipHash::hex() const {
  Hasher all;
  for (const Hasher* h : {&user_, &item_, &rating_, &role_}) {
    const std::uint64_t d = h->digest();
    all.update(&d, sizeof d);
  }
  return hex_digest(all.digest());
}

std::string membership_fingerprint(const EncodedRatings& data, const TrainValidSplit& split) {
  const std::vector<std::uint8_t> roles = split_roles(split, data.size());
  SplitMembershipHash h;
  h.add(data.user.data(), data.item.data(), data.rating.data(), roles.data(), data.size());
  return h.hex();
}

}  // namespace collab
