#include <gtest/gtest.h>

#include <cmath>

#include "cpu/cpu_engine.h"
#include "train/engine.h"
#include "train/lr_find.h"
#include "test_support.h"

using namespace collab;

TEST(LrSuggestions, TheValleyOfAMadeUpCurveFallsInItsGoodRange) {
  // Flat below 1e-4, falling from 1e-4 to 1e-2, blowing up beyond: the good range is 1e-4..1e-2.
  std::vector<double> lrs, losses;
  for (int i = 0; i < 100; ++i) {
    const double lr = 1e-7 * std::pow(1e8, i / 99.0);
    const double x = std::log10(lr);
    double loss = 1.0;
    if (x > -4) loss = 1.0 - 0.4 * std::min(x + 4, 2.0);
    if (x > -2) loss = 0.2 + std::pow(10, (x + 2) * 2) * 0.05;
    lrs.push_back(lr);
    losses.push_back(loss + 0.001 * std::sin(i));  // a little noise on the flat part
  }
  const LrSuggestions s = suggest_learning_rates(lrs, losses, 100);
  EXPECT_GT(s.valley, 1e-4);
  EXPECT_LT(s.valley, 1e-2);
  EXPECT_GT(s.steepest, 1e-4);
  EXPECT_LT(s.steepest, 1e-2);
  EXPECT_NEAR(std::log10(s.minimum_div10), -3, 0.2);  // the minimum is at 1e-2
}

TEST(LrSuggestions, TooShortACurveIsExplained) {
  EXPECT_EQ(test_support::expect_error([] { suggest_learning_rates({1e-7, 1e-6}, {1, 2}, 100); }).code(), ExitCode::data);
}

TEST(LrFind, OnASyntheticProblemSuggestsAUsefulRate) {
  EncodedRatings d = test_support::synthetic_ratings(80, 100, 0.4, 3);
  TrainValidSplit split = random_split(d, 0.2, 1);
  EngineSetup s = test_support::synthetic_setup(split, Arch::dot_bias, 80, 100, 20, 1);
  s.options.batch_size = 32;
  auto engine = make_cpu_engine(s);
  const LrFindResult r = lr_find(*engine, split.train.size(), s.options, LrFindOptions{}, nullptr);
  EXPECT_EQ(r.lrs.size(), r.losses.size());
  // Rates at which this model trains well in a one-cycle run: 1e-3 to 1e-1.
  EXPECT_GT(r.suggestions.valley, 3e-4);
  EXPECT_LT(r.suggestions.valley, 3e-1);
}

TEST(LrFind, StopsWhenTheLossPassesFourTimesItsBest) {
  EncodedRatings d = test_support::synthetic_ratings(80, 100, 0.4, 3);
  TrainValidSplit split = random_split(d, 0.2, 1);
  // dot has an unbounded output: it can blow up.
  EngineSetup s = test_support::synthetic_setup(split, Arch::dot, 80, 100, 20, 1);
  s.options.batch_size = 32;
  auto engine = make_cpu_engine(s);
  const LrFindResult r = lr_find(*engine, split.train.size(), s.options, LrFindOptions{}, nullptr);
  EXPECT_TRUE(r.diverged);
  EXPECT_LT(r.lrs.size(), 100u);
}
