#include <gtest/gtest.h>

#include <algorithm>
#include <cmath>
#include <numeric>
#include <vector>

#include "support/random.h"

using namespace collab;

TEST(Rng, NormalDrawsHaveTheAskedMeanAndSpread) {
  Rng rng(3);
  double sum = 0, sq = 0;
  const int n = 200000;
  for (int i = 0; i < n; ++i) {
    double x = rng.normal(0.0f, 0.01f);
    sum += x;
    sq += x * x;
  }
  EXPECT_NEAR(sum / n, 0.0, 1e-4);
  EXPECT_NEAR(std::sqrt(sq / n), 0.01, 1e-4);
}

TEST(Rng, ShuffleIsAPermutationThatRepeatsForASeed) {
  std::vector<int> a(100), b;
  for (int i = 0; i < 100; ++i) a[static_cast<size_t>(i)] = i;
  b = a;
  Rng(5).shuffle(a);
  Rng(5).shuffle(b);
  EXPECT_EQ(a, b);
  std::vector<int> sorted = a;
  std::sort(sorted.begin(), sorted.end());
  for (int i = 0; i < 100; ++i) EXPECT_EQ(sorted[static_cast<size_t>(i)], i);
}

TEST(Rng, ShuffleIsFisherYatesDrawnInTurn) {
  // The shuffle draws its swaps ahead of making them; the order must be that of drawing each in
  // turn, for every size (below, at and above how far ahead it draws).
  for (size_t n : {0u, 1u, 2u, 3u, 15u, 16u, 17u, 33u, 1000u}) {
    std::vector<int> ahead(n), in_turn;
    std::iota(ahead.begin(), ahead.end(), 0);
    in_turn = ahead;
    Rng(11).shuffle(ahead);
    Rng rng(11);
    for (size_t i = n; i > 1; --i) std::swap(in_turn[i - 1], in_turn[rng.below(i)]);
    EXPECT_EQ(ahead, in_turn) << n << " elements";
  }
}
