// Implicit ALS across ranks (threads here, in_process_ranks.h): each rank holds the whole model,
// solves its share of each half-pass's rows and gathers the others', and the ranks end on one
// process's bits, factors and objective alike, whatever their number.
#include <gtest/gtest.h>

#include "in_process_ranks.h"
#include "pipeline/engine_factory.h"
#include "test_support.h"
#include "train/fit_passes.h"

namespace collab {
namespace {

constexpr int kUsers = 70, kItems = 50;

struct AlsRun {
  std::vector<EpochRecord> history;
  Weights weights;
  std::string engine;
};

AlsRun train_als(const TrainValidSplit& split, Communicator* rank) {
  EngineSetup s = test_support::synthetic_setup(split, Arch::dot, kUsers, kItems, 6, 3);
  s.options.optimizer = OptimizerKind::als;
  s.options.model.arch = Arch::dot;
  s.options.model.implicit = true;
  s.options.positive_rating = 3.0f;
  s.options.epochs = 4;
  s.options.wd = 2;
  s.communicator = rank;
  auto engine = make_engine(s, "cpu", "cpu");
  AlsRun run;
  run.engine = engine->device_name();
  run.history = fit_by_passes(*engine, s.options, {});
  run.weights = engine->weights();
  return run;
}

TEST(AlsRanks, RanksDividingTheSolvesEndOnOneProcesssBits) {
  const EncodedRatings data = test_support::synthetic_ratings(kUsers, kItems, 0.3, 8);
  const TrainValidSplit split = random_split(data, 0.2, 4);
  const AlsRun one = train_als(split, nullptr);
  ASSERT_EQ(one.history.size(), 4u);
  for (int ranks : {2, 3}) {
    test_support::InProcessRanks group(ranks);
    std::vector<AlsRun> runs(static_cast<size_t>(ranks));
    group.run([&](int r) { runs[static_cast<size_t>(r)] = train_als(split, &group.rank(r)); });
    for (const AlsRun& run : runs) {
      EXPECT_NE(run.engine.find("solves divided over " + std::to_string(ranks) + " ranks"), std::string::npos)
          << run.engine;
      EXPECT_EQ(run.history.back().train_loss, one.history.back().train_loss) << ranks << " ranks";
      EXPECT_EQ(run.weights.get(tables::user_factors).values, one.weights.get(tables::user_factors).values);
      EXPECT_EQ(run.weights.get(tables::item_factors).values, one.weights.get(tables::item_factors).values);
    }
  }
}

}  // namespace
}  // namespace collab
