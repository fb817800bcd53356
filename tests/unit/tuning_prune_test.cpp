#include <gtest/gtest.h>

#include <cmath>
#include <atomic>
#include <chrono>
#include <thread>

#include "train/tuning.h"

namespace collab {
namespace {

TEST(Asha, RungsComeAfterEpochsOneThreeNineAndSoOn) {
  for (int e = 1; e <= 30; ++e) EXPECT_EQ(is_rung_epoch(e), e == 1 || e == 3 || e == 9 || e == 27) << e;
}

TEST(Asha, ATrialGoesOnOnlyAmongTheBestThirdOfTheLowerTrialsAtItsRung) {
  AshaRungs rungs(/*minimise=*/true);
  // Optuna's rule: among n scores, at least as good as the max(n / 3, 1)-th best.
  EXPECT_TRUE(rungs.promote(0, 0, 1.0));   // alone: the best
  rungs.ended(0);
  EXPECT_FALSE(rungs.promote(1, 0, 1.1));  // worse than the one before
  rungs.ended(1);
  EXPECT_TRUE(rungs.promote(2, 0, 0.9));
  rungs.ended(2);
  EXPECT_FALSE(rungs.promote(3, 0, 0.95));  // 4 scores: only the best goes on
  rungs.ended(3);
  EXPECT_FALSE(rungs.promote(4, 0, 0.95));
  rungs.ended(4);
  EXPECT_TRUE(rungs.promote(5, 0, 0.95));  // 6 scores: the best two (0.9, 0.95) go on
  rungs.ended(5);
  EXPECT_FALSE(rungs.promote(6, 0, std::nan("")));
  AshaRungs ranking(/*minimise=*/false);
  EXPECT_TRUE(ranking.promote(0, 0, 0.1));
  ranking.ended(0);
  EXPECT_TRUE(ranking.promote(1, 0, 0.2));  // higher is better
}

TEST(Asha, ATrialWaitsForTheLowerTrialsAtItsRungAndResumedOnesCount) {
  AshaRungs rungs(true);
  TrialResult resumed;
  resumed.trial = 0;
  resumed.rungs = {0.5};
  rungs.add_finished(resumed);
  std::atomic<bool> promoted{true}, decided{false};
  std::thread later([&] {
    promoted = rungs.promote(2, 0, 0.8);
    decided = true;
  });
  std::this_thread::sleep_for(std::chrono::milliseconds(50));
  EXPECT_FALSE(decided);  // trial 1 has neither reached rung 0 nor ended
  EXPECT_FALSE(rungs.promote(1, 0, 0.7));
  rungs.ended(1);
  later.join();
  EXPECT_FALSE(promoted);  // 3 scores: only the best (the resumed 0.5) goes on
}

TEST(Asha, AnAbandonedSearchWaitsNoLonger) {
  AshaRungs rungs(true);
  std::atomic<bool> promoted{true};
  std::thread later([&] { promoted = rungs.promote(3, 0, 0.1); });  // trials 0-2 never report
  rungs.abandon();
  later.join();
  EXPECT_FALSE(promoted);
}

}  // namespace
}  // namespace collab
