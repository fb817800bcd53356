// The training pipeline's first half (pipeline/pipeline.h, prepare_training): a data set on disk is
// loaded, filtered, split with the options' seed, given its initial weights and the engine asked
// for. A made-up ratings CSV of 20 users, 15 items, and a 21st user with two ratings.
#include <gtest/gtest.h>

#include <algorithm>
#include <string>

#include "test_support.h"
#include "pipeline/pipeline.h"

namespace collab {
namespace {

using test_support::expect_error;

struct Files {
  std::string ratings, movies;
};

// Users 1..20 rate the items i of 1..15 with (u + 2i) % 5 != 0, rating 0.5 + (u + i) % 10 / 2, at
// timestamp 1000 + row; user 21 rates items 1 and 2.
Files made_up_files(const std::string& name) {
  const std::string dir = test_support::temp_dir(name);
  std::string ratings = "userId,movieId,rating,timestamp\n";
  int row = 0;
  auto add = [&](int u, int i, double r) {
    ratings += std::to_string(u) + "," + std::to_string(i) + "," + std::to_string(r) + "," +
               std::to_string(1000 + row++) + "\n";
  };
  for (int u = 1; u <= 20; ++u)
    for (int i = 1; i <= 15; ++i)
      if ((u + 2 * i) % 5 != 0) add(u, i, 0.5 + (u + i) % 10 / 2.0);
  add(21, 1, 4.0);
  add(21, 2, 3.0);
  std::string movies = "movieId,title,genres\n";
  for (int i = 1; i <= 15; ++i) movies += std::to_string(i) + ",Movie " + std::to_string(i) + " (2000),Drama\n";
  const Files f{dir + "/ratings.csv", dir + "/movies.csv"};
  test_support::write_text(f.ratings, ratings);
  test_support::write_text(f.movies, movies);
  return f;
}

constexpr size_t kRatings = 20 * 15 * 4 / 5 + 2;  // 242: four of every five (u, i) pairs, and user 21's

TrainingRequest request_for(const Files& f) {
  TrainingRequest r;
  r.source = csv_files_data_source(f.ratings, f.movies, ItemKey::title);
  r.options.seed = 7;
  r.options.model.factors = 4;
  r.device = "cpu";
  return r;
}

TEST(Pipeline, TheMadeUpDataHasTheRatingsItSays) {
  const Files f = made_up_files("pipeline-count");
  EXPECT_EQ(load_data_source(csv_files_data_source(f.ratings, f.movies, ItemKey::title)).size(), kRatings);
}

TEST(Pipeline, TheSplitIsTheRequestedSplitWithTheOptionsSeed) {
  const Files f = made_up_files("pipeline-split");
  TrainingRequest r = request_for(f);
  r.split.valid_pct = 0.25;
  const auto run = prepare_training(r);
  EXPECT_EQ(run->split.valid.size(), static_cast<size_t>(0.25 * kRatings));
  EXPECT_EQ(run->split.train.size(), kRatings - static_cast<size_t>(0.25 * kRatings));
  const TrainValidSplit expected = random_split(load_data_source(r.source), 0.25, r.options.seed);
  EXPECT_EQ(run->split.valid.user, expected.valid.user);
  EXPECT_EQ(run->split.valid.item, expected.valid.item);
  EXPECT_EQ(run->split.train.item, expected.train.item);
}

TEST(Pipeline, ATimeSplitValidatesOnTheLatestRatings) {
  const Files f = made_up_files("pipeline-time");
  TrainingRequest r = request_for(f);
  r.split.kind = SplitKind::time;
  r.split.valid_pct = 0.1;
  const auto run = prepare_training(r);
  const size_t valid = static_cast<size_t>(0.1 * kRatings);
  ASSERT_EQ(run->split.valid.size(), valid);
  // The rows are in time order in the file: the last `valid` of them, user 21's two included.
  EXPECT_EQ(run->split.valid.user.back(), 21);
  EXPECT_EQ(std::count(run->split.train.user.begin(), run->split.train.user.end(), 21), 0);
}

TEST(Pipeline, FiltersApplyBeforeTheSplit) {
  const Files f = made_up_files("pipeline-filters");
  TrainingRequest r = request_for(f);
  r.filters.min_user_ratings = 3;  // user 21 goes
  r.filters.min_rating = 1.0;      // ratings of 0.5 go
  r.split.valid_pct = 0.2;
  const auto run = prepare_training(r);
  const size_t kept = run->filtered.ratings_after;
  EXPECT_EQ(run->filtered.ratings_before, kRatings);
  EXPECT_EQ(run->filtered.by_min_user_ratings, 2u);
  EXPECT_GT(run->filtered.below_min_rating, 0u);
  EXPECT_EQ(kept, kRatings - 2 - run->filtered.below_min_rating);
  // The shares are of what the filters left, and no filtered rating is in either set.
  EXPECT_EQ(run->split.valid.size(), static_cast<size_t>(0.2 * static_cast<double>(kept)));
  EXPECT_EQ(run->split.train.size() + run->split.valid.size(), kept);
  EXPECT_EQ(run->data.vocabulary.user_rows(), 21u);  // users 1..20 and #na#
  EXPECT_EQ(run->setup.shape.n_users, 21);
  for (const RatingSet* set : {&run->split.train, &run->split.valid})
    EXPECT_GE(*std::min_element(set->rating.begin(), set->rating.end()), 1.0f);
}

TEST(Pipeline, TheSetupDescribesTheDataTheOptionsAndTheInitialWeights) {
  const Files f = made_up_files("pipeline-setup");
  TrainingRequest r = request_for(f);
  r.options.model.arch = Arch::dot;
  const auto run = prepare_training(r);
  const EngineSetup& s = run->setup;
  EXPECT_EQ(s.data, &run->split);
  EXPECT_EQ(s.shape.arch, Arch::dot);
  EXPECT_EQ(s.shape.n_users, 22);  // 21 users and #na#
  EXPECT_EQ(s.shape.n_items, 16);
  EXPECT_EQ(s.shape.factors, 4);
  EXPECT_EQ(s.options.seed, 7u);
  // The engine starts from the seed's tables; the setup lets its copy go (ml-25m: 70 MB).
  const Weights expected = initial_embedding_weights(s.shape, r.options.init_std, r.options.seed);
  const Weights untrained = run->engine->weights();
  ASSERT_EQ(untrained.tensors.size(), expected.tensors.size());
  for (size_t t = 0; t < expected.tensors.size(); ++t) {
    EXPECT_EQ(untrained.tensors[t].name, expected.tensors[t].name);
    EXPECT_EQ(untrained.tensors[t].values, expected.tensors[t].values);
  }
  EXPECT_TRUE(s.initial.tensors.empty());
}

TEST(Pipeline, TheEngineIsTheOneTheRequestAsksFor) {
  const Files f = made_up_files("pipeline-engine");
  TrainingRequest r = request_for(f);
  r.options.threads = 1;
  EXPECT_EQ(prepare_training(r)->engine->device_name(), "cpu (deferred exact updates, 1 thread)");
  r.options.optimizer = OptimizerKind::sparse_adam;
  EXPECT_EQ(prepare_training(r)->engine->device_name(), "cpu (sparse updates, 1 thread)");
  r.options.optimizer = OptimizerKind::adam;
  r.options.model.arch = Arch::popularity;
  EXPECT_EQ(prepare_training(r)->engine->device_name(), "cpu (counting)");
  r.options.model.arch = Arch::baseline;
  EXPECT_EQ(prepare_training(r)->engine->device_name(), "cpu (baseline ALS)");
}

TEST(Pipeline, AnEngineTheFactoryRefusesIsAUsageError) {
  const Files f = made_up_files("pipeline-refused");
  TrainingRequest r = request_for(f);
  r.options.model.arch = Arch::nn;
  r.engine = "cpu";
  const Error e = expect_error([&] { prepare_training(r); });
  EXPECT_EQ(e.code(), ExitCode::usage);
  EXPECT_NE(std::string(e.what()).find("--engine cpu"), std::string::npos) << e.what();
}

TEST(Pipeline, ASplitThatLeavesNoValidationRowIsADataError) {
  const Files f = made_up_files("pipeline-empty");
  TrainingRequest r = request_for(f);
  r.split.valid_pct = 0.001;  // floor(0.001 * 242) = 0
  const Error e = expect_error([&] { prepare_training(r); });
  EXPECT_EQ(e.code(), ExitCode::data);
  EXPECT_NE(std::string(e.what()).find("the random split leaves the validation set empty (242 ratings)"),
            std::string::npos)
      << e.what();
}

TEST(Pipeline, NoValidationShareTrainsOnEveryRating) {
  const Files f = made_up_files("pipeline-none");
  TrainingRequest r = request_for(f);
  r.split.valid_pct = 0;
  const auto run = prepare_training(r);
  EXPECT_EQ(run->split.valid.size(), 0u);
  EXPECT_EQ(run->split.train.size(), kRatings);
}

}  // namespace
}  // namespace collab
