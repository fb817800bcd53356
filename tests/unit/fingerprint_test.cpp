// training_fingerprint: the hash ranks compare before training across processes. Any difference
// in what shapes training (options, users, items, titles, ratings, the split) must change it.
#include <gtest/gtest.h>

#include <functional>
#include <utility>

#include "test_support.h"
#include "pipeline/pipeline.h"

using namespace collab;

namespace {

struct Inputs {
  PreparedTraining run;  // no engine: the fingerprint reads the data and the split only
  TrainingRequest request;
};

Inputs inputs() {
  Inputs in;
  in.run.data = test_support::synthetic_ratings(12, 15, 0.6, 5);
  in.run.split = random_split(in.run.data, 0.2, 7);
  in.request.options.seed = 7;
  return in;
}

std::uint64_t fingerprint_after(const std::function<void(Inputs&)>& change) {
  Inputs in = inputs();
  change(in);
  return training_fingerprint(in.run, in.request);
}

std::uint64_t unchanged() {
  return fingerprint_after([](Inputs&) {});
}

}  // namespace

TEST(TrainingFingerprint, IsTheSameForTheSameInputs) {
  EXPECT_EQ(fingerprint_after([](Inputs&) {}), unchanged());
}

TEST(TrainingFingerprint, ChangesWithTheItemOfOneTrainingRating) {
  EXPECT_NE(fingerprint_after([](Inputs& in) { in.run.split.train.item[3] ^= 1; }), unchanged());
}

TEST(TrainingFingerprint, ChangesWithTheOrderOfTrainingRatings) {
  // Two ratings of other users and items swapped: the same sums of users and ratings.
  EXPECT_NE(fingerprint_after([](Inputs& in) {
              auto& t = in.run.split.train;
              std::swap(t.user[0], t.user[1]);
              std::swap(t.item[0], t.item[1]);
              std::swap(t.rating[0], t.rating[1]);
            }),
            unchanged());
}

TEST(TrainingFingerprint, ChangesWithAValidationRating) {
  EXPECT_NE(fingerprint_after([](Inputs& in) { in.run.split.valid.rating[0] += 0.5f; }),
            unchanged());
  EXPECT_NE(fingerprint_after([](Inputs& in) { in.run.split.valid.item[0] ^= 1; }), unchanged());
}

TEST(TrainingFingerprint, ChangesWhenARatingMovesBetweenTrainingAndValidation) {
  EXPECT_NE(fingerprint_after([](Inputs& in) {
              auto& s = in.run.split;
              s.valid.user.push_back(s.train.user.back());
              s.valid.item.push_back(s.train.item.back());
              s.valid.rating.push_back(s.train.rating.back());
              s.train.user.pop_back();
              s.train.item.pop_back();
              s.train.rating.pop_back();
            }),
            unchanged());
}

TEST(TrainingFingerprint, ChangesWithATitleAMovieIdOrAUserId) {
  EXPECT_NE(fingerprint_after([](Inputs& in) { in.run.data.vocabulary.item_titles[2] += "x"; }),
            unchanged());
  EXPECT_NE(fingerprint_after([](Inputs& in) { in.run.data.vocabulary.item_movie_ids[2] += 1; }),
            unchanged());
  EXPECT_NE(fingerprint_after([](Inputs& in) { in.run.data.vocabulary.user_ids[2] += 1; }),
            unchanged());
  // Where one title ends and the next begins counts too.
  EXPECT_NE(fingerprint_after([](Inputs& in) {
              auto& t = in.run.data.vocabulary.item_titles;
              t[2] += t[3].substr(0, 1);
              t[3].erase(0, 1);
            }),
            unchanged());
}

TEST(TrainingFingerprint, ChangesWithEveryOptionThatShapesTraining) {
  EXPECT_NE(fingerprint_after([](Inputs& in) { in.request.options.init_std = 0.02f; }),
            unchanged());
  EXPECT_NE(fingerprint_after([](Inputs& in) { in.request.options.eps = 1e-6; }), unchanged());
  EXPECT_NE(fingerprint_after([](Inputs& in) { in.request.options.beta2 = 0.999; }), unchanged());
  EXPECT_NE(fingerprint_after([](Inputs& in) { in.request.options.lr *= 1.0 + 1e-12; }),
            unchanged());
  EXPECT_NE(fingerprint_after([](Inputs& in) { in.request.options.model.layers = {10}; }), unchanged());
  EXPECT_NE(fingerprint_after(
                [](Inputs& in) { in.request.options.optimizer = OptimizerKind::sparse_adam; }),
            unchanged());
  EXPECT_NE(fingerprint_after([](Inputs& in) { in.request.split.valid_last = 2; }), unchanged());
}

TEST(TrainingFingerprint, IgnoresWhatLeavesEveryBitAlone) {
  EXPECT_EQ(fingerprint_after([](Inputs& in) { in.request.options.threads = 3; }), unchanged());
  EXPECT_EQ(fingerprint_after(
                [](Inputs& in) { in.request.source.ratings_path = "/elsewhere/ratings.csv"; }),
            unchanged());
}
