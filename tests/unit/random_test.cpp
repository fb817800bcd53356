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
