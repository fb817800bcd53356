#include "train/tuning.h"

#include <gtest/gtest.h>

#include <algorithm>
#include <chrono>
#include <cmath>
#include <cstdio>
#include <filesystem>
#include <fstream>
#include <mutex>
#include <set>
#include <thread>
#include <unistd.h>

#include "support/error.h"

namespace collab {
namespace {

ExitCode code_of(const std::string& spec, std::string* message = nullptr) {
  try {
    parse_tuned_option(spec);
  } catch (const Error& e) {
    if (message) *message = e.what();
    return e.code();
  }
  return ExitCode::ok;
}

TEST(Tuning, ParsesListsAndRangesWithTheOptionsDefaultScale) {
  const TunedOption lr = parse_tuned_option("lr=1e-4..1e-1");
  EXPECT_TRUE(lr.is_range());
  EXPECT_TRUE(lr.log_scale);
  EXPECT_DOUBLE_EQ(lr.low, 1e-4);
  EXPECT_DOUBLE_EQ(lr.high, 1e-1);
  const TunedOption factors = parse_tuned_option("factors=8..256");
  EXPECT_FALSE(factors.log_scale);
  EXPECT_TRUE(factors.integer);
  EXPECT_TRUE(parse_tuned_option("factors=8..256:log").log_scale);
  EXPECT_FALSE(parse_tuned_option("wd=0..0.3:lin").log_scale);
  const TunedOption wd = parse_tuned_option("wd=0.01,0.03,0.1");
  EXPECT_EQ(wd.values, (std::vector<double>{0.01, 0.03, 0.1}));
}

TEST(Tuning, RefusesABadSpecAsAUsageErrorNamingTheSpace) {
  for (const char* bad : {"lr", "momentum=0.9", "lr=0..1", "lr=-1,0.1", "factors=8.5,16", "factors=16..8",
                          "wd=0..0.1", "lr=1e-3,", "lr=a..b", "lr=1e-3,1e-2:log", "lr=1e-4..1e-1:cubic",
                          "factors=0..8:lin", "epochs=1..inf"}) {
    std::string message;
    EXPECT_EQ(code_of(bad, &message), ExitCode::usage) << bad;
    EXPECT_NE(message.find("--space"), std::string::npos) << message;
  }
}

TEST(Tuning, AnOptionsOwnSpecNamesTheOptionInItsErrors) {
  for (const auto& [name, spec] : std::vector<std::pair<std::string, std::string>>{
           {"lr", "0..1"}, {"factors", "8.5"}, {"arch", "dot..nn"}, {"arch", "dot-bias,mlp"}, {"optimizer", "sgd"},
           {"negatives", "0,2"}, {"alpha", "-1..1:lin"}}) {
    try {
      parse_tuned_option(name, spec, "--" + name + " " + spec);
      ADD_FAILURE() << name << " " << spec;
    } catch (const Error& e) {
      EXPECT_EQ(e.code(), ExitCode::usage);
      EXPECT_EQ(std::string(e.what()).rfind("--" + name + " " + spec + ":", 0), 0u) << e.what();
    }
  }
  EXPECT_TRUE(is_fixed(parse_tuned_option("lr", "0.01", "--lr 0.01")));
  EXPECT_FALSE(is_fixed(parse_tuned_option("lr", "0.01..0.1", "--lr 0.01..0.1")));
}

TEST(Tuning, CategoricalOptionsTakeNamesAndApplyThem) {
  const TunedOption arch = parse_tuned_option("arch", "nn,dot-bias", "--arch nn,dot-bias");
  const TunedOption optimizer = parse_tuned_option("optimizer=adam,sparse-adam");
  ASSERT_TRUE(arch.categorical());
  EXPECT_EQ(arch.values.size(), 2u);
  EXPECT_EQ(value_text(arch, arch.values[0]), "nn");
  TrainOptions t;
  apply_configuration({arch, optimizer}, {arch.values[1], optimizer.values[1]}, t);
  EXPECT_EQ(t.model.arch, Arch::dot_bias);
  EXPECT_EQ(t.optimizer, OptimizerKind::sparse_adam);
  apply_configuration({arch}, {arch.values[0]}, t);
  EXPECT_EQ(t.model.arch, Arch::nn);
  // A journal line names the value and reads back as the same index.
  TrialResult r;
  r.values = {arch.values[0]};
  const std::string line = journal_line({arch}, "s", r);
  EXPECT_NE(line.find("\"arch\":\"nn\""), std::string::npos) << line;
  const std::string path = ::testing::TempDir() + "categorical_journal.jsonl";
  std::remove(path.c_str());
  append_journal(path, line);
  EXPECT_EQ(read_journal(path, {arch}, "s").at(0).values, r.values);
  std::remove(path.c_str());
}

TEST(Tuning, GridRunsThroughEveryCombinationTheFirstOptionSlowest) {
  const std::vector<TunedOption> space = {parse_tuned_option("wd=0.01,0.1"), parse_tuned_option("factors=8,16,32")};
  ASSERT_EQ(grid_size(space), 6u);
  EXPECT_EQ(grid_configuration(space, 0), (Configuration{0.01, 8}));
  EXPECT_EQ(grid_configuration(space, 1), (Configuration{0.01, 16}));
  EXPECT_EQ(grid_configuration(space, 3), (Configuration{0.1, 8}));
  EXPECT_EQ(grid_configuration(space, 5), (Configuration{0.1, 32}));
  EXPECT_THROW(grid_size({parse_tuned_option("lr=1e-3..1e-2")}), Error);
}

TEST(Tuning, RandomDrawsStayInTheRangeAreWholeWhereAskedAndDependOnlyOnSeedAndTrial) {
  const std::vector<TunedOption> space = {parse_tuned_option("lr=1e-4..1e-1"), parse_tuned_option("factors=8..12"),
                                          parse_tuned_option("wd=0.01,0.1")};
  std::set<double> factors;
  int below_1e3 = 0;
  for (size_t t = 0; t < 400; ++t) {
    const Configuration c = random_configuration(space, 5, t);
    EXPECT_EQ(c, random_configuration(space, 5, t));
    EXPECT_GE(c[0], 1e-4);
    EXPECT_LE(c[0], 1e-1);
    below_1e3 += c[0] < 1e-3;
    EXPECT_EQ(c[1], std::round(c[1]));
    factors.insert(c[1]);
    EXPECT_TRUE(c[2] == 0.01 || c[2] == 0.1);
  }
  EXPECT_EQ(factors, (std::set<double>{8, 9, 10, 11, 12}));  // both ends reached
  // Log-uniform over three decades: a third below 1e-3 (a linear draw would give 1%).
  EXPECT_GT(below_1e3, 100);
  EXPECT_LT(below_1e3, 170);
  EXPECT_NE(random_configuration(space, 5, 0), random_configuration(space, 6, 0));
}

TEST(Tuning, TheTuningRowsAreAShareOfTheTrainingPartAndPartitionIt) {
  RatingSet part;
  for (int i = 0; i < 101; ++i) part.user.push_back(i), part.item.push_back(i % 7), part.rating.push_back(i * 0.5f);
  const TrainValidSplit s = carve_tuning_split(part, 0.2, 3);
  EXPECT_EQ(s.valid.size(), 20u);
  EXPECT_EQ(s.train.size(), 81u);
  std::vector<std::int32_t> all = s.train_rows;
  all.insert(all.end(), s.valid_rows.begin(), s.valid_rows.end());
  std::sort(all.begin(), all.end());
  for (int i = 0; i < 101; ++i) EXPECT_EQ(all[i], i);
  EXPECT_TRUE(std::is_sorted(s.train_rows.begin(), s.train_rows.end()));
  for (size_t i = 0; i < s.valid.size(); ++i) EXPECT_EQ(s.valid.user[i], part.user[s.valid_rows[i]]);
  EXPECT_EQ(carve_tuning_split(part, 0.2, 3).valid_rows, s.valid_rows);
  EXPECT_NE(carve_tuning_split(part, 0.2, 4).valid_rows, s.valid_rows);
}

TEST(Tuning, TheBestTrialIsTheEarliestOfTheBestFiniteScores) {
  std::vector<TrialResult> r(4);
  r[0].score = std::nan(""), r[1].score = 0.9, r[2].score = 0.8, r[3].score = 0.8;
  EXPECT_EQ(best_trial(r, true), 2);
  EXPECT_EQ(best_trial(r, false), 1);
  r[1].score = r[2].score = r[3].score = std::nan("");
  EXPECT_EQ(best_trial(r, true), -1);
}

SearchSettings settings_of(int trials, int jobs, std::uint64_t seed) {
  SearchSettings s;
  s.trials = trials;
  s.jobs = jobs;
  s.seed = seed;
  return s;
}

// A made-up objective: the results of a random search must not depend on --jobs.
std::vector<TrialResult> search_with(int jobs, const std::vector<TrialResult>& done = {},
                                     std::vector<int>* ran = nullptr) {
  const std::vector<TunedOption> space = {parse_tuned_option("lr=1e-4..1e-1"), parse_tuned_option("factors=8..64")};
  const SearchSettings s = settings_of(24, jobs, 11);
  std::mutex m;
  SearchCallbacks cb;
  cb.run_trial = [&](int trial, const Configuration& c) {
    TrialResult r;
    r.trial = trial;
    r.values = c;
    r.score = std::abs(std::log10(c[0]) + 2.5) + std::abs(c[1] - 32) / 64;
    if (ran) {
      std::lock_guard<std::mutex> g(m);
      ran->push_back(trial);
    }
    return r;
  };
  std::vector<int> order;
  cb.on_ordered = [&](const TrialResult& r) { order.push_back(r.trial); };
  auto out = run_search(space, s, done, cb);
  EXPECT_TRUE(std::is_sorted(order.begin(), order.end()));
  EXPECT_EQ(order.size(), out.size());
  return out;
}

TEST(Tuning, RandomSearchGivesTheSameTrialsAndBestWhateverTheJobs) {
  const auto one = search_with(1), four = search_with(4);
  ASSERT_EQ(one.size(), 24u);
  ASSERT_EQ(four.size(), 24u);
  for (size_t i = 0; i < one.size(); ++i) {
    EXPECT_EQ(one[i].trial, static_cast<int>(i));
    EXPECT_EQ(one[i].values, four[i].values);
    EXPECT_EQ(one[i].score, four[i].score);
  }
  EXPECT_EQ(best_trial(one, true), best_trial(four, true));
}

// The last trial runs long: the other worker idles meanwhile.
std::vector<TrialResult> idle_search(int jobs, std::vector<TrialResult>* told) {
  const std::vector<TunedOption> space = {parse_tuned_option("lr=1e-4..1e-1")};
  const SearchSettings s = settings_of(12, jobs, 3);
  std::mutex m;
  SearchCallbacks cb;
  cb.run_trial = [&](int trial, const Configuration& c) {
    if (trial == 11) std::this_thread::sleep_for(std::chrono::milliseconds(200));
    TrialResult r;
    r.trial = trial;
    r.values = c;
    r.score = trial == 11 ? 0 : std::abs(std::log10(c[0]) + 2.5) + 1;  // the slow one wins
    return r;
  };
  cb.on_ordered = [](const TrialResult&) {};
  cb.on_idle_core = [&](const TrialResult& best) {
    std::lock_guard<std::mutex> g(m);
    told->push_back(best);
  };
  return run_search(space, s, {}, cb);
}

TEST(Tuning, AnIdleCoreAtTheEndIsToldTheBestSoFarOnceAndOnlyWhenAWorkerIdles) {
  std::vector<TrialResult> told;
  const auto all = idle_search(2, &told);
  ASSERT_EQ(told.size(), 1u);
  std::vector<TrialResult> before_last(all.begin(), all.begin() + 11);
  EXPECT_EQ(told[0].trial, best_trial(before_last, true));  // the best before the slow last one
  EXPECT_NE(told[0].trial, best_trial(all, true));          // which then overtook it
  told.clear();
  idle_search(1, &told);  // one worker: no core ever idles
  EXPECT_TRUE(told.empty());
}

TEST(Tuning, TrialsAlreadyDoneAreNotRunAgain) {
  auto all = search_with(1);
  std::vector<TrialResult> done(all.begin(), all.begin() + 10);
  for (auto& r : done) r.resumed = true;
  std::vector<int> ran;
  const auto resumed = search_with(2, done, &ran);
  EXPECT_EQ(ran.size(), 14u);
  EXPECT_EQ(*std::min_element(ran.begin(), ran.end()), 10);
  for (size_t i = 0; i < all.size(); ++i) EXPECT_EQ(resumed[i].score, all[i].score);
}

TEST(Tuning, AJournalRoundTripsAndRefusesAnotherSearch) {
  const std::vector<TunedOption> space = {parse_tuned_option("lr=1e-4..1e-1"), parse_tuned_option("factors=8..64")};
  const std::string path = (std::filesystem::temp_directory_path() / ("tuning_journal_" + std::to_string(::getpid()))).string();
  std::filesystem::remove(path);
  TrialResult r;
  r.trial = 3, r.values = {0.0031234567891, 17}, r.score = 0.87654321, r.epochs = 4, r.seconds = 0.25;
  r.train_rows = 80, r.tune_rows = 20;
  append_journal(path, journal_line(space, "abc", r));
  r.trial = 4, r.score = std::nan("");
  append_journal(path, journal_line(space, "abc", r));
  auto back = read_journal(path, space, "abc");
  ASSERT_EQ(back.size(), 2u);
  EXPECT_EQ(back[0].values, (Configuration{0.0031234567891, 17}));
  EXPECT_EQ(back[0].score, 0.87654321);
  EXPECT_EQ(back[0].train_rows, 80u);
  EXPECT_TRUE(back[0].resumed);
  EXPECT_TRUE(std::isnan(back[1].score));
  try {
    read_journal(path, space, "other");
    ADD_FAILURE() << "another search's journal was read";
  } catch (const Error& e) {
    EXPECT_EQ(e.code(), ExitCode::data);
    EXPECT_NE(std::string(e.what()).find("line 1: a trial of another search"), std::string::npos) << e.what();
  }
  {  // A line cut short by a killed run is skipped.
    std::ofstream(path, std::ios::app) << "{\"search\":\"abc\",\"tri";
  }
  EXPECT_EQ(read_journal(path, space, "abc").size(), 2u);
  std::filesystem::remove(path);
  EXPECT_TRUE(read_journal(path, space, "abc").empty());
}

TEST(Tuning, GridAndRandomTrialsAreHandedOutLongestFirstTiesByNumberTpesByNumber) {
  const std::vector<TunedOption> space = {parse_tuned_option("epochs=3,1,2,1")};
  SearchSettings s;
  s.kind = SearchKind::grid;
  s.trials = 10;
  auto cost = [](const Configuration& c) { return c[0]; };
  EXPECT_EQ(longest_first(space, s, cost), (std::vector<int>{0, 2, 1, 3}));
  s.kind = SearchKind::random;
  s.trials = 30;
  const std::vector<int> order = longest_first(space, s, cost);
  ASSERT_EQ(order.size(), 30u);
  for (size_t k = 1; k < order.size(); ++k) {
    const double a = random_configuration(space, 0, order[k - 1])[0], b = random_configuration(space, 0, order[k])[0];
    EXPECT_TRUE(a > b || (a == b && order[k - 1] < order[k])) << k;
  }
  s.kind = SearchKind::tpe;
  EXPECT_TRUE(longest_first(space, s, cost).empty());
}

TEST(Tpe, TheParzenEstimatorsDensityIntegratesToOneOverTheSpace) {
  // A log range, a whole number and a list: the density over lr times the masses of the
  // factors' cells and the list's values sums to one.
  const std::vector<TunedOption> space = {parse_tuned_option("lr=1e-4..1e-1"), parse_tuned_option("factors=1..6"),
                                          parse_tuned_option("wd=0.01,0.1")};
  std::vector<std::vector<double>> seen;
  for (const Configuration& c : std::vector<Configuration>{{3e-4, 2, 0.1}, {4e-4, 5, 0.01}, {0.05, 6, 0.1}, {0.1, 1, 0.1}})
    seen.push_back({tpe_internal(space[0], c[0]), tpe_internal(space[1], c[1]), tpe_internal(space[2], c[2])});
  const ParzenEstimator p = parzen_estimator(space, seen, tpe_weights(4));
  const double low = std::log(1e-4), high = std::log(1e-1);
  const size_t steps = 20000;
  const double h = (high - low) / steps;
  double integral = 0;
  for (size_t i = 0; i < steps; ++i)
    for (double factors = 1; factors <= 6; ++factors)
      for (double wd = 0; wd <= 1; ++wd) integral += std::exp(p.log_pdf({low + (i + 0.5) * h, factors, wd})) * h;
  EXPECT_NEAR(integral, 1.0, 1e-3);
  Rng rng(3, 0);
  for (int i = 0; i < 1000; ++i) {
    const std::vector<double> x = p.sample(rng);
    EXPECT_GE(x[0], low);
    EXPECT_LE(x[0], high);
    EXPECT_EQ(x[1], std::round(x[1]));  // whole numbers come rounded
    EXPECT_GE(x[1], 1);
    EXPECT_LE(x[1], 6);
    EXPECT_TRUE(x[2] == 0 || x[2] == 1);
  }
}

TEST(Tpe, EachSigmaIsTheLargerGapToANeighbourTheOutermostTheirOneGapWithinTheMagicClip) {
  const std::vector<TunedOption> space = {parse_tuned_option("lr=1e-4..1e-1")};
  const double low = std::log(1e-4), high = std::log(1e-1), width = high - low;
  const ParzenEstimator p = parzen_estimator(space, {{-3.0}, {-8.1}, {-2.2}, {-7.9}}, tpe_weights(4));
  const std::vector<double>& sigma = p.dims[0].sigma;
  ASSERT_EQ(sigma.size(), 5u);
  const double clip = width / 6;           // width / min(100, 2 + 4 observations)
  EXPECT_NEAR(sigma[0], 4.9, 1e-12);       // -3.0: the larger of 4.9 and 0.8
  EXPECT_NEAR(sigma[1], clip, 1e-12);      // -8.1: its one neighbour 0.2 away, clipped up
  EXPECT_NEAR(sigma[2], clip, 1e-12);      // -2.2: 0.8, not the 0.5 to the end; clipped up
  EXPECT_NEAR(sigma[3], 4.9, 1e-12);       // -7.9
  EXPECT_DOUBLE_EQ(sigma[4], width);       // the prior: the whole width, at the center
  EXPECT_DOUBLE_EQ(p.dims[0].mu[4], 0.5 * (low + high));
  // A lone observation: the larger distance to an end.
  const ParzenEstimator one = parzen_estimator(space, {{-8.0}}, tpe_weights(1));
  EXPECT_NEAR(one.dims[0].sigma[0], high + 8.0, 1e-12);
  EXPECT_DOUBLE_EQ(one.weight[0], 0.5);  // the observation and the prior's 1.0
}

TEST(Tpe, TheDensityIsAMixtureOfKernelsOverTheWholeSpaceNotAProductOfPerOptionMixtures) {
  // Two observations at opposite corners of [1, 2]^2: (1.1, 1.1) and (1.9, 1.9) are likely,
  // (1.1, 1.9) not, which independent per-option estimators could not tell apart.
  const std::vector<TunedOption> space = {parse_tuned_option("lr=1..2:lin"), parse_tuned_option("wd=1..2:lin")};
  const ParzenEstimator p = parzen_estimator(space, {{1.1, 1.1}, {1.9, 1.9}}, tpe_weights(2));
  EXPECT_GT(p.log_pdf({1.1, 1.1}), p.log_pdf({1.1, 1.9}));
  EXPECT_NEAR(p.log_pdf({1.1, 1.1}), p.log_pdf({1.9, 1.9}), 1e-12);
  // By hand: the log of the weighted sum over the three kernels of the product of each option's
  // truncated Gaussian density.
  auto truncated = [](double x, double mu, double sigma) {
    auto cdf = [](double z) { return 0.5 * std::erfc(-z / std::sqrt(2.0)); };
    const double z = (x - mu) / sigma;
    return std::exp(-0.5 * z * z) / (sigma * std::sqrt(2 * M_PI)) / (cdf((2 - mu) / sigma) - cdf((1 - mu) / sigma));
  };
  const double s = 0.8, prior = 1.0;  // each observation's gap to the other; the prior's width
  const double expected = (truncated(1.3, 1.1, s) * truncated(1.6, 1.1, s) + truncated(1.3, 1.9, s) * truncated(1.6, 1.9, s) +
                           truncated(1.3, 1.5, prior) * truncated(1.6, 1.5, prior)) / 3;
  EXPECT_NEAR(p.log_pdf({1.3, 1.6}), std::log(expected), 1e-12);
}

TEST(Tpe, AListsKernelFavoursItsObservedValueAndThePriorIsUniform) {
  const std::vector<TunedOption> space = {parse_tuned_option("wd=0.01,0.1,1")};
  const ParzenEstimator p = parzen_estimator(space, {{2}, {0}}, tpe_weights(2));
  // Each observation: 1 on its value plus the prior's 1.0 over 3 kernels on every value.
  const double spread = 1.0 / 3;
  EXPECT_NEAR(p.dims[0].p[0][2], (1 + spread) / (1 + 3 * spread), 1e-12);
  EXPECT_NEAR(p.dims[0].p[0][1], spread / (1 + 3 * spread), 1e-12);
  EXPECT_NEAR(p.dims[0].p[2][1], 1.0 / 3, 1e-12);
  EXPECT_NEAR(std::exp(p.log_pdf({0})) + std::exp(p.log_pdf({1})) + std::exp(p.log_pdf({2})), 1.0, 1e-12);
}

TEST(Tpe, ProposalsComeInBatchesOfFourAfterTenRandomTrials) {
  EXPECT_EQ(tpe_history_end(9), 0u);
  EXPECT_EQ(tpe_history_end(10), 10u);
  EXPECT_EQ(tpe_history_end(13), 10u);
  EXPECT_EQ(tpe_history_end(14), 14u);
  EXPECT_EQ(tpe_history_end(29), 26u);
  EXPECT_EQ(tpe_weights(3), (std::vector<double>{1, 1, 1}));
  const std::vector<double> w = tpe_weights(30);
  EXPECT_DOUBLE_EQ(w.front(), 1.0 / 30);
  EXPECT_DOUBLE_EQ(w[4], 1.0);
  EXPECT_DOUBLE_EQ(w.back(), 1.0);
}

// A 1-D quadratic with its minimum at lr = 10^-2.5, plus a list that matters and a whole number.
std::vector<TrialResult> quadratic_search(SearchKind kind, std::uint64_t seed, int jobs,
                                          int trials = 30) {
  const std::vector<TunedOption> space = {parse_tuned_option("lr=1e-5..1"),
                                          parse_tuned_option("wd=0.01,0.1,1"),
                                          parse_tuned_option("factors=1..100")};
  SearchSettings s;
  s.kind = kind;
  s.trials = trials;
  s.jobs = jobs;
  s.seed = seed;
  SearchCallbacks cb;
  cb.run_trial = [](int trial, const Configuration& c) {
    TrialResult r;
    r.trial = trial;
    r.values = c;
    const double x = std::log10(c[0]) + 2.5;
    // Diverged (no score) for the largest rates: they count as the worst.
    r.score = c[0] > 0.3 ? std::nan("") : x * x + (c[1] == 0.1 ? 0 : 1) + std::abs(c[2] - 40) / 100;
    // Finishing out of order when several run at once.
    std::this_thread::sleep_for(std::chrono::microseconds((trial * 7919) % 300));
    return r;
  };
  cb.on_ordered = [](const TrialResult&) {};
  return run_search(space, s, {}, cb);
}

TEST(Tpe, BeatsRandomSearchOnAQuadraticAfterThirtyTrialsAveragedOverFiveSeeds) {
  double tpe = 0, random = 0;
  for (std::uint64_t seed = 1; seed <= 5; ++seed) {
    const auto t = quadratic_search(SearchKind::tpe, seed, 1),
               r = quadratic_search(SearchKind::random, seed, 1);
    tpe += t[best_trial(t, true)].score / 5;
    random += r[best_trial(r, true)].score / 5;
    // The first ten are random search's own draws.
    for (size_t i = 0; i < 10; ++i) EXPECT_EQ(t[i].values, r[i].values);
  }
  EXPECT_LT(tpe, random);
}

TEST(Tpe, GivesTheSameProposalsWhateverTheJobs) {
  const auto one = quadratic_search(SearchKind::tpe, 7, 1, 40),
             two = quadratic_search(SearchKind::tpe, 7, 2, 40),
             three = quadratic_search(SearchKind::tpe, 7, 3, 40);
  ASSERT_EQ(one.size(), 40u);
  ASSERT_EQ(two.size(), 40u);
  ASSERT_EQ(three.size(), 40u);
  for (size_t i = 0; i < one.size(); ++i) {
    EXPECT_EQ(one[i].values, two[i].values) << "trial " << i;
    EXPECT_EQ(one[i].values, three[i].values) << "trial " << i;
  }
}

TEST(Tpe, ABatchsProposalsDependOnlyOnTheTrialsBeforeTheBatchInAnyOrder) {
  const auto all = quadratic_search(SearchKind::tpe, 5, 1, 14);
  const std::vector<TunedOption> space = {parse_tuned_option("lr=1e-5..1"), parse_tuned_option("wd=0.01,0.1,1"),
                                          parse_tuned_option("factors=1..100")};
  const std::vector<TrialResult> history(all.begin(), all.begin() + 10);
  std::set<Configuration> batch;
  for (size_t t = 10; t < 14; ++t) {
    // Any order of the history, and whatever else finished: the same proposal.
    std::vector<TrialResult> shuffled(history.rbegin(), history.rend());
    EXPECT_EQ(tpe_configuration(space, 5, t, shuffled, true), all[t].values) << "trial " << t;
    batch.insert(all[t].values);
  }
  EXPECT_EQ(batch.size(), 4u);  // the batch spreads out
}

TEST(Tpe, ResumedTrialsCountAsFinished) {
  const auto all = quadratic_search(SearchKind::tpe, 4, 1, 24);
  const std::vector<TunedOption> space = {parse_tuned_option("lr=1e-5..1"),
                                          parse_tuned_option("wd=0.01,0.1,1"),
                                          parse_tuned_option("factors=1..100")};
  std::vector<TrialResult> done(all.begin(), all.begin() + 15);
  SearchSettings s;
  s.kind = SearchKind::tpe;
  s.trials = 24;
  s.jobs = 2;
  s.seed = 4;
  SearchCallbacks cb;
  cb.run_trial = [&](int trial, const Configuration& c) {
    EXPECT_GE(trial, 15);
    TrialResult r = all[trial];
    EXPECT_EQ(r.values, c) << "trial " << trial;
    return r;
  };
  cb.on_ordered = [](const TrialResult&) {};
  EXPECT_EQ(run_search(space, s, done, cb).size(), 24u);
}

}  // namespace
}  // namespace collab
