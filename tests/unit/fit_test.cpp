#include <gtest/gtest.h>

#include "cpu/cpu_engine.h"
#include "train/engine.h"
#include "train/fit.h"
#include "test_support.h"

using namespace collab;

namespace {

struct Run {
  TrainValidSplit split;
  EngineSetup setup;
  std::unique_ptr<TrainingEngine> engine;
};

std::unique_ptr<Run> make_run(Arch arch, double lr, std::uint64_t seed = 1) {
  auto r = std::make_unique<Run>();
  EncodedRatings d = test_support::synthetic_ratings(40, 50, 0.4, 9);
  r->split = random_split(d, 0.2, seed);
  r->setup.shape = {{arch, 10, 0.0f, 5.5f, {}}, 41, 51};
  r->setup.data = &r->split;
  r->setup.options.lr = lr;
  r->setup.options.epochs = 3;
  r->setup.options.model.factors = 10;
  r->setup.options.seed = seed;
  r->setup.initial = initial_embedding_weights(r->setup.shape, 0.01f, seed);
  r->engine = make_cpu_engine(r->setup);
  return r;
}

}  // namespace

TEST(Fit, ReportsEveryEpochWithTheSmoothedLossAndDroppedLastBatch) {
  auto r = make_run(Arch::dot_bias, 5e-2);
  std::vector<EpochRecord> seen;
  FitHooks hooks;
  hooks.on_epoch = [&](const EpochRecord& e) { seen.push_back(e); };
  auto history = fit_one_cycle(*r->engine, r->split.train.size(), r->setup.options, hooks, /*validating=*/true);
  ASSERT_EQ(history.size(), 3u);
  EXPECT_EQ(seen.size(), 3u);
  EXPECT_EQ(history[2].epoch, 2);
  EXPECT_LT(history[2].valid_loss, history[0].valid_loss);
  EXPECT_LT(history[2].lr, 5e-2 / 100);  // the schedule's last step is near its end
}

TEST(Fit, TheSameSeedRepeatsExactly) {
  auto a = make_run(Arch::dot_bias, 5e-3, 4), b = make_run(Arch::dot_bias, 5e-3, 4);
  auto ha = fit_one_cycle(*a->engine, a->split.train.size(), a->setup.options, {}, /*validating=*/true);
  auto hb = fit_one_cycle(*b->engine, b->split.train.size(), b->setup.options, {}, /*validating=*/true);
  for (size_t e = 0; e < ha.size(); ++e) {
    EXPECT_EQ(ha[e].train_loss, hb[e].train_loss);
    EXPECT_EQ(ha[e].valid_loss, hb[e].valid_loss);
  }
  EXPECT_EQ(a->engine->weights().get("item_bias").values, b->engine->weights().get("item_bias").values);
}

TEST(Fit, ADivergingLossStopsWithADataErrorSuggestingALowerRate) {
  auto r = make_run(Arch::dot, 1e6);
  Error e = test_support::expect_error([&] { fit_one_cycle(*r->engine, r->split.train.size(), r->setup.options, {}, /*validating=*/true); });
  EXPECT_EQ(e.code(), ExitCode::data);
  EXPECT_NE(std::string(e.what()).find("diverged: try a lower --lr"), std::string::npos) << e.what();
}

TEST(Fit, AStopRequestEndsAfterTheCurrentBatchAsInterrupted) {
  auto r = make_run(Arch::dot_bias, 5e-3);
  std::atomic<bool> stop{false};
  FitHooks hooks;
  hooks.stop = &stop;
  hooks.progress_every = 2;
  size_t progress_calls = 0;
  hooks.on_progress = [&](int, size_t, size_t, double) {
    if (++progress_calls == 3) stop = true;
  };
  Error e = test_support::expect_error([&] { fit_one_cycle(*r->engine, r->split.train.size(), r->setup.options, hooks, /*validating=*/true); });
  EXPECT_EQ(e.code(), ExitCode::interrupted);
  EXPECT_EQ(progress_calls, 3u);
}

TEST(Fit, TooFewRatingsForOneBatchIsExplained) {
  auto r = make_run(Arch::dot_bias, 5e-3);
  r->setup.options.batch_size = 100000;
  Error e = test_support::expect_error([&] { fit_one_cycle(*r->engine, r->split.train.size(), r->setup.options, {}, /*validating=*/true); });
  EXPECT_EQ(e.code(), ExitCode::data);
}

TEST(SmoothedLoss, IsADebiasedExponentialAverage) {
  collab::SmoothedLoss s(0.98);
  s.add(1.0);
  EXPECT_NEAR(s.value(), 1.0, 1e-12);  // debiasing makes the first value exact
  s.add(3.0);
  const double raw = 0.98 * (0.02 * 1.0) + 0.02 * 3.0;
  EXPECT_NEAR(s.value(), raw / (1 - 0.98 * 0.98), 1e-12);
}
