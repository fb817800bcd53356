// Seeded randomness that repeats exactly on every platform: mt19937_64 is fully specified by the
// standard, but std::normal_distribution and std::shuffle are not, so they are written here.
#pragma once

#include <cstdint>
#include <random>
#include <vector>

namespace collab {

class Rng {
 public:
  // `stream` separates independent uses of one seed (split, weights, batch order).
  explicit Rng(std::uint64_t seed, std::uint64_t stream = 0);
  std::uint64_t next() { return gen_(); }
  double uniform();                      // [0, 1)
  std::uint64_t below(std::uint64_t n);  // uniform in [0, n), unbiased
  float normal(float mean, float stddev);
  template <class T>
  void shuffle(std::vector<T>& v) {  // Fisher-Yates
    for (size_t i = v.size(); i > 1; --i) std::swap(v[i - 1], v[below(i)]);
  }

 private:
  std::mt19937_64 gen_;
  bool has_spare_ = false;
  double spare_ = 0;
};

// A seed for runs that were given none; printed so that the run can be repeated.
std::uint64_t fresh_seed();

}  // namespace collab
