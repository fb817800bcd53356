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
  // Fisher-Yates. Each swap's far end is drawn kAhead swaps early and asked for then: in a table
  // of millions the far ends miss every cache, and the draws do not depend on the table, so the
  // order is the same as drawing each in turn (docs/engine.md has what it gains).
  template <class T>
  void shuffle(std::vector<T>& v) {
    constexpr size_t kAhead = 16;
    size_t far[kAhead];  // far[i % kAhead]: the far end drawn for swap i
    size_t drawn = v.size();  // swaps down to `drawn` + 1 have their far ends
    auto draw = [&] {
      far[drawn % kAhead] = static_cast<size_t>(below(drawn));
      __builtin_prefetch(&v[far[drawn % kAhead]], 1);
      --drawn;
    };
    while (drawn > 1 && drawn + kAhead > v.size()) draw();
    for (size_t i = v.size(); i > 1; --i) {
      const size_t j = far[i % kAhead];
      if (drawn > 1) draw();  // for swap i - kAhead, into the place of j
      std::swap(v[i - 1], v[j]);
    }
  }

 private:
  std::mt19937_64 gen_;
  bool has_spare_ = false;
  double spare_ = 0;
};

// A seed for runs that were given none; printed so that the run can be repeated.
std::uint64_t fresh_seed();

}  // namespace collab
