#include <gtest/gtest.h>

#include "train/one_cycle.h"

using collab::OneCycle;

TEST(OneCycle, StartsAtOneTwentyFifthOfTheMaximumWithHighMomentum) {
  OneCycle c{5e-3};
  EXPECT_DOUBLE_EQ(c.lr(0.0), 5e-3 / 25);
  EXPECT_DOUBLE_EQ(c.mom(0.0), 0.95);
}

TEST(OneCycle, PeaksAtTwentyFivePercentWithLowMomentum) {
  OneCycle c{5e-3};
  EXPECT_NEAR(c.lr(0.25), 5e-3, 1e-15);
  EXPECT_NEAR(c.mom(0.25), 0.85, 1e-15);
  EXPECT_LT(c.lr(0.2499), 5e-3);
  EXPECT_LT(c.lr(0.2501), 5e-3);
}

TEST(OneCycle, EndsAtOneHundredThousandthWithHighMomentum) {
  OneCycle c{5e-3};
  EXPECT_NEAR(c.lr(1.0), 5e-8, 1e-15);
  EXPECT_NEAR(c.mom(1.0), 0.95, 1e-15);
}

TEST(OneCycle, FollowsHalfCosinesBetweenItsPoints) {
  OneCycle c{1.0};
  // Halfway through the warm-up: the mean of start and peak.
  EXPECT_NEAR(c.lr(0.125), (1.0 / 25 + 1.0) / 2, 1e-12);
  EXPECT_NEAR(c.mom(0.125), 0.90, 1e-12);
  // Halfway through the annealing.
  EXPECT_NEAR(c.lr(0.625), (1.0 + 1e-5) / 2, 1e-12);
  EXPECT_NEAR(collab::cosine_anneal(2, 4, 0.5), 3.0, 1e-12);
}
