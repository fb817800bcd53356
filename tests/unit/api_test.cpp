// The public API (include/collab/collab.h) against the pipeline it wraps: the same defaults, the
// same model as the files' path, splits that partition, errors with their codes.
#include <gtest/gtest.h>

#include <algorithm>
#include <cmath>
#include <fstream>
#include <set>

#include "api/api_internal.h"  // the model handle's state, to compare weights
#include "collab/collab.h"
#include "data/data_source.h"
#include "model/evaluation.h"
#include "test_support.h"
#include "pipeline/pipeline.h"

namespace collab {
namespace {

using test_support::expect_error;
using test_support::synthetic_ratings;

// Made-up ratings as a program would hold them: userIds and movieIds that are not row numbers,
// with timestamps and titles.
Ratings made_up_ratings(int users = 40, int items = 30, bool with_titles = true) {
  const EncodedRatings e = synthetic_ratings(users, items, 0.5, 7);
  Ratings r;
  for (size_t i = 0; i < e.size(); ++i)
    r.add(100 + e.user[i] * 3, 1000 + e.item[i] * 7,
          std::clamp(std::round(e.rating[i] * 2) / 2, 0.5f, 5.0f), static_cast<std::int64_t>(i));
  if (with_titles)
    for (int m = 1; m <= items; ++m)
      r.titles[1000 + m * 7] = "Movie " + std::to_string(m) + " (1999)";
  return r;
}

TrainingOptions quick_options() {
  TrainingOptions o;
  o.epochs = 2;
  o.factors = 8;
  o.seed = 3;
  return o;
}

TEST(PublicApi, DefaultsAreTheTrainersDefaults) {
  const TrainingOptions pub;
  const TrainOptions in;
  EXPECT_EQ(pub.arch, arch_name(in.model.arch));
  EXPECT_EQ(pub.optimizer, optimizer_name(in.optimizer));
  EXPECT_EQ(pub.loss, loss_name(in.loss));
  EXPECT_EQ(pub.epochs, in.epochs);
  EXPECT_EQ(pub.lr, in.lr);
  EXPECT_EQ(pub.wd, in.wd);
  EXPECT_EQ(pub.batch_size, in.batch_size);
  EXPECT_EQ(pub.factors, in.model.factors);
  EXPECT_EQ(pub.y_low, in.model.y_low);
  EXPECT_EQ(pub.y_high, in.model.y_high);
  EXPECT_EQ(pub.implicit, in.model.implicit);
  EXPECT_EQ(pub.positive_rating, in.positive_rating);
  EXPECT_EQ(pub.negatives, in.negatives);
  EXPECT_EQ(pub.alpha, in.alpha);
  EXPECT_EQ(pub.cg_steps, in.cg_steps);
  const SplitSpec spec;
  EXPECT_EQ(pub.split.kind, split_name(spec.kind));
  EXPECT_EQ(pub.split.valid_pct, spec.valid_pct);
  EXPECT_EQ(pub.split.test_pct, spec.test_pct);
  EXPECT_EQ(pub.split.valid_last, spec.valid_last);
}

TEST(PublicApi, OptionsForAKindAreWhatTheCommandTrainsWith) {
  const TrainingOptions bpr = options_for("dot-bias", "adam", "bpr");
  EXPECT_TRUE(bpr.implicit);
  EXPECT_EQ(bpr.epochs, 40);
  EXPECT_EQ(bpr.batch_size, 256);
  EXPECT_EQ(options_for("baseline").epochs, 10);
  EXPECT_EQ(options_for("popularity").epochs, 1);
  EXPECT_EQ(options_for("dot-bias").epochs, TrainingOptions{}.epochs);
  EXPECT_EQ(expect_error([] { options_for("dot-biass"); }).code(), ExitCode::usage);
}

TEST(PublicApi, TrainingInMemoryGivesTheModelTheFilesGive) {
  const Ratings ratings = made_up_ratings();
  const std::string dir = test_support::temp_dir("api_files");
  {
    std::ofstream r(dir + "/ratings.csv"), m(dir + "/movies.csv");
    r << "userId,movieId,rating,timestamp\n";
    for (size_t i = 0; i < ratings.size(); ++i)
      r << ratings.user_id[i] << ',' << ratings.movie_id[i] << ',' << ratings.rating[i] << ','
        << ratings.timestamp[i] << '\n';
    m << "movieId,title,genres\n";
    for (const auto& [id, title] : ratings.titles) m << id << ',' << title << ",Drama\n";
  }
  std::vector<Epoch> epochs;
  const Model model = train(ratings, quick_options(), [&](const Epoch& e) { epochs.push_back(e); });
  ASSERT_EQ(epochs.size(), 2u);

  TrainingRequest request;
  request.source = csv_files_data_source(dir + "/ratings.csv", dir + "/movies.csv", ItemKey::title);
  request.options.epochs = 2, request.options.model.factors = 8, request.options.seed = 3;
  request.options.model.layers = {8};
  auto run = prepare_training(request);
  const SavedModel files = train_model(*run, request, FitHooks{});
  EXPECT_EQ(model.state().model.weights.get("item_factors").values,
            files.weights.get("item_factors").values);
  EXPECT_EQ(epochs.back().valid_loss, files.history.back().valid_loss);
  EXPECT_EQ(read_ratings(dir + "/ratings.csv", dir + "/movies.csv").titles, ratings.titles);
}

TEST(PublicApi, SplitPartitionsTheRowsAndTimeHoldsOutTheLatest) {
  const Ratings ratings = made_up_ratings();
  SplitOptions o;
  o.kind = "time";
  o.valid_pct = 0.25;
  const Split s = split(ratings, o);
  EXPECT_EQ(s.train.size() + s.valid.size() + s.test.size(), ratings.size());
  EXPECT_EQ(s.valid.size(), ratings.size() / 4);
  std::int64_t latest_train = 0;
  for (auto t : s.train.timestamp) latest_train = std::max(latest_train, t);
  for (auto t : s.valid.timestamp) EXPECT_GT(t, latest_train);
  EXPECT_EQ(s.valid.titles, ratings.titles);
  std::set<std::pair<int, int>> seen;
  for (const Ratings* part : {&s.train, &s.valid})
    for (size_t i = 0; i < part->size(); ++i)
      EXPECT_TRUE(seen.emplace(part->user_id[i], part->movie_id[i]).second);
}

TEST(PublicApi, EvaluatingTheValidationRowsGivesTheValidationLoss) {
  const Ratings ratings = made_up_ratings();
  TrainingOptions o = quick_options();
  const Model model = train(ratings, o);
  SplitOptions so = o.split;
  so.seed = o.seed;
  const Metrics m = evaluate(model, split(ratings, so).valid);
  EXPECT_NEAR(m.mse, model.history().back().valid_loss, 1e-5);
  EXPECT_NEAR(m.rmse, std::sqrt(m.mse), 1e-12);
  EXPECT_GT(m.users, 0u);
  EXPECT_EQ(m.cold_users, 0u);
}

TEST(PublicApi, AModelAnswersAsTheReadingVerbsDo) {
  const Ratings ratings = made_up_ratings(40, 30, /*with_titles=*/false);
  const Model model = train(ratings, quick_options());
  EXPECT_EQ(model.kind(), "dot-bias");
  EXPECT_TRUE(model.predicts_ratings());
  const std::int32_t user = model.users().front();
  EXPECT_EQ(user % 3, 1);                                // the ids given, not row numbers
  const std::string item = model.items().front().title;  // movieId-keyed: the id as text
  EXPECT_EQ(item, std::to_string(model.items().front().movie_id));
  Ratings pair;
  pair.add(user, model.items().front().movie_id, 0);
  EXPECT_DOUBLE_EQ(model.predict(pair)[0], model.predict(user, item));
  // Top-k lists leave out what the user rated in training, and recommend_all agrees with recommend.
  const auto top = model.recommend(user, 5);
  ASSERT_EQ(top.size(), 5u);
  size_t users = 0;
  model.recommend_all(5, [&](std::int32_t id, const std::vector<ItemScore>& list) {
    ++users;
    if (id != user) return;
    for (size_t i = 0; i < list.size(); ++i) EXPECT_EQ(list[i].movie_id, top[i].movie_id);
  });
  EXPECT_GT(users, 30u);
  EXPECT_EQ(model.factors(item).size(), 8u);
  EXPECT_EQ(model.biases(3).highest.size(), 3u);
  EXPECT_EQ(model.similar(item, 4).size(), 4u);
  const auto fresh = model.recommend_new_user({{item, 5.0f}, {model.items()[1].title, 1.0f}}, 3);
  ASSERT_EQ(fresh.size(), 3u);
  for (const auto& s : fresh) EXPECT_NE(s.title, item);
  // Saved and loaded, the same answers.
  const std::string path = test_support::temp_dir("api_model") + "/m.collab";
  model.save(path);
  EXPECT_EQ(Model::load(path).predict(user, item), model.predict(user, item));
}

TEST(PublicApi, ListOptionsUserBiasesPcaAndRatingsFilesAnswerAsTheVerbsDo) {
  const Model model = train(made_up_ratings(), quick_options());
  const std::int32_t user = model.users().front();
  const std::string item = model.items().front().title, other = model.items()[1].title;
  EXPECT_EQ(model.item(item).movie_id, model.items().front().movie_id);
  EXPECT_EQ(model.options().arch, "dot-bias");
  EXPECT_EQ(model.options().factors, quick_options().factors);
  ListOptions list;
  list.k = 4;
  EXPECT_EQ(model.recommend(user, list).size(), 4u);
  EXPECT_EQ(model.user_biases(list).lowest.size(), 4u);
  // Untrained rows only ever add to a list.
  ListOptions every;
  every.k = 1u << 20;
  const size_t trained = model.biases(every).highest.size();
  every.include_untrained = true;
  EXPECT_GE(model.biases(every).highest.size(), trained);
  const Model::Pca pca = model.pca(2, 0);
  EXPECT_EQ(pca.coordinates.size(), pca.items.size());
  EXPECT_EQ(pca.explained_variance.size(), 2u);
  // A person's ratings file gives what the same pairs give.
  const std::string csv = test_support::temp_dir("api_person") + "/person.csv";
  std::ofstream(csv) << "title,rating\n" << item << ",5\n" << other << ",1\n";
  const auto from_file = model.recommend_from_file(csv, list);
  const auto from_pairs = model.recommend_new_user({{item, 5.0f}, {other, 1.0f}}, 4);
  ASSERT_EQ(from_file.size(), from_pairs.size());
  for (size_t i = 0; i < from_file.size(); ++i) EXPECT_EQ(from_file[i].movie_id, from_pairs[i].movie_id);
  EXPECT_EQ(expect_error([&] { model.predict_from_file(csv + ".none", item); }).code(), ExitCode::no_input);
}

TEST(PublicApi, WithoutValidationRowsEveryRatingTrainsAndValidLossIsNaN) {
  TrainingOptions o = quick_options();
  o.split.valid_pct = 0;
  const Model model = train(made_up_ratings(), o);
  EXPECT_TRUE(std::isnan(model.history().back().valid_loss));
  EXPECT_TRUE(std::isfinite(model.history().back().train_loss));
}

TEST(PublicApi, RankingModelsTrainWithTheirKindsOptions) {
  const Model bpr = train(made_up_ratings(), options_for("dot", "adam", "bpr"));
  EXPECT_EQ(bpr.kind(), "dot+bpr");
  EXPECT_FALSE(bpr.predicts_ratings());
  EXPECT_EQ(bpr.history().size(), 40u);
  const Model als = train(made_up_ratings(), options_for("dot", "als"));
  EXPECT_EQ(als.kind(), "dot+als");
  EXPECT_EQ(als.recommend(als.users().front(), 3).size(), 3u);
  const Model popularity = train(made_up_ratings(), options_for("popularity"));
  EXPECT_TRUE(std::isnan(evaluate(popularity, made_up_ratings()).mse));
  EXPECT_EQ(expect_error([&] { popularity.similar(popularity.items().front().title); }).code(),
            ExitCode::data);
}

TEST(PublicApi, CrossValidationMeansItsFolds) {
  TrainingOptions o = quick_options();
  o.epochs = 1;
  const CrossValidation cv = cross_validate(made_up_ratings(), o, 3);
  ASSERT_EQ(cv.folds.size(), 3u);
  EXPECT_NEAR(cv.mean.mse, (cv.folds[0].mse + cv.folds[1].mse + cv.folds[2].mse) / 3, 1e-12);
  EXPECT_GT(cv.std.mse, 0);
}

TEST(PublicApi, ErrorsCarryTheCommandsExitCodes) {
  Ratings bad = made_up_ratings();
  bad.user_id[2] = -5;
  Error e = expect_error([&] { train(bad); });
  EXPECT_EQ(e.code(), ExitCode::data);
  EXPECT_STREQ(e.what(), "ratings table line 2: userId -5 is negative");
  Ratings repeated = made_up_ratings();
  repeated.add(repeated.user_id[0], repeated.movie_id[0], 3, 0);
  EXPECT_EQ(expect_error([&] { train(repeated); }).code(), ExitCode::data);
  TrainingOptions o;
  o.lr = -1;
  e = expect_error([&] { train(made_up_ratings(), o); });
  EXPECT_EQ(e.code(), ExitCode::usage);
  EXPECT_NE(std::string(e.what()).find("lr"), std::string::npos);
  EXPECT_EQ(expect_error([] { Model::load("/nonexistent/model.collab"); }).code(),
            ExitCode::no_input);
  const Model model = train(made_up_ratings(), quick_options());
  EXPECT_EQ(expect_error([&] { model.recommend(99999); }).code(), ExitCode::data);
  EXPECT_EQ(expect_error([&] { model.similar("No Such Film"); }).code(), ExitCode::data);
}

}  // namespace
}  // namespace collab
