#include "support/random.h"

#include <cmath>

namespace collab {
namespace {
std::uint64_t splitmix64(std::uint64_t x) {
  x += 0x9e3779b97f4a7c15ull;
  x = (x ^ (x >> 30)) * 0xbf58476d1ce4e5b9ull;
  x = (x ^ (x >> 27)) * 0x94d049bb133111ebull;
  return x ^ (x >> 31);
}
}  // namespace

Rng::Rng(std::uint64_t seed, std::uint64_t stream) : gen_(splitmix64(seed ^ splitmix64(stream))) {}

double Rng::uniform() { return static_cast<double>(gen_() >> 11) * 0x1.0p-53; }

std::uint64_t Rng::below(std::uint64_t n) {
  // Rejection keeps every value equally likely.
  const std::uint64_t limit = ~std::uint64_t{0} - (~std::uint64_t{0} % n);
  std::uint64_t x;
  do x = gen_();
  while (x >= limit);
  return x % n;
}

float Rng::normal(float mean, float stddev) {
  // Box-Muller, using both values it makes.
  if (has_spare_) {
    has_spare_ = false;
    return mean + stddev * static_cast<float>(spare_);
  }
  double u1;
  do u1 = uniform();
  while (u1 <= 0.0);
  const double u2 = uniform();
  const double radius = std::sqrt(-2.0 * std::log(u1));
  const double angle = 2.0 * M_PI * u2;
  spare_ = radius * std::sin(angle);
  has_spare_ = true;
  return mean + stddev * static_cast<float>(radius * std::cos(angle));
}

std::uint64_t fresh_seed() {
  std::random_device device;
  // Small enough to type back in.
  return ((static_cast<std::uint64_t>(device()) << 32) | device()) % 1000000000ull;
}

}  // namespace collab
