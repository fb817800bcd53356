#include <gtest/gtest.h>

#include <algorithm>
#include <cmath>
#include <vector>

#include "cpu/cpu_engine.h"
#include "train/engine.h"
#include "train/fit.h"
#include "train/forward.h"
#include "train/split.h"
#include "test_support.h"

using namespace collab;

namespace {

// One real user and one real item (row 0 is #na#), one factor, chosen weights.
EngineSetup tiny_setup(const TrainValidSplit& data, Arch arch, OptimizerKind opt = OptimizerKind::adam) {
  EngineSetup s;
  s.shape.arch = arch;
  s.shape.n_users = 2;
  s.shape.n_items = 2;
  s.shape.factors = 1;
  s.data = &data;
  s.options.wd = 0.1;
  s.options.optimizer = opt;
  s.options.threads = 1;
  s.initial.tensors = {{"user_factors", {2, 1}, {0.0f, 0.5f}}, {"item_factors", {2, 1}, {0.0f, 0.2f}}};
  if (arch == Arch::dot_bias)
    s.initial.tensors.insert(s.initial.tensors.end(),
                             {{"user_bias", {2}, {0.0f, 0.1f}}, {"item_bias", {2}, {0.0f, -0.1f}}});
  return s;
}

TrainValidSplit one_rating() {
  TrainValidSplit d;
  d.train = {{1}, {1}, {4.0f}};
  d.valid = {{1}, {1}, {4.0f}};
  return d;
}

double sigmoid(double z) { return 1.0 / (1.0 + std::exp(-z)); }

}  // namespace

TEST(CpuEngine, OneAdamStepMatchesHandComputedValues) {
  const TrainValidSplit data = one_rating();
  auto engine = make_cpu_engine(tiny_setup(data, Arch::dot_bias));
  const std::int32_t order[] = {0};
  const StepHyper h{0.01f, 0.9f};
  const auto losses = engine->train_batches(order, 1, 1, &h, nullptr);

  // Forward: z = 0.5 * 0.2 + 0.1 - 0.1, pred = sigmoid_range(z, 0, 5.5).
  const double z = 0.1, s = sigmoid(z), pred = 5.5 * s, diff = pred - 4.0;
  ASSERT_EQ(losses.size(), 1u);
  EXPECT_NEAR(losses[0], diff * diff, 1e-5);
  const double dz = 2 * diff * 5.5 * s * (1 - s);
  // fastai's Adam at step 1: p *= 1 - lr*wd; m = 0.1 g; v = 0.01 g^2;
  // p -= lr / (1 - 0.9) * m / (sqrt(v / (1 - 0.99)) + eps).
  auto adam = [](double p, double g) {
    p *= 1 - 0.01 * 0.1;
    const double m = 0.1 * g, v = 0.01 * g * g;
    return p - 0.01 / (1 - 0.9) * m / (std::sqrt(v / (1 - 0.99)) + 1e-5);
  };
  const Weights w = engine->weights();
  EXPECT_NEAR(w.get("user_factors").values[1], adam(0.5, dz * 0.2), 1e-6);
  EXPECT_NEAR(w.get("item_factors").values[1], adam(0.2, dz * 0.5), 1e-6);
  EXPECT_NEAR(w.get("user_bias").values[1], adam(0.1, dz), 1e-6);
  EXPECT_NEAR(w.get("item_bias").values[1], adam(-0.1, dz), 1e-6);
  EXPECT_EQ(w.get("user_factors").values[0], 0.0f);  // the #na# row has no gradient and was zero
}

TEST(CpuEngine, ArchitecturesDifferOnlyInTheirOutput) {
  const TrainValidSplit data = one_rating();
  // Validation before any step: the prediction of each architecture's formula.
  auto mse = [&](Arch a) { return make_cpu_engine(tiny_setup(data, a))->validation_mse(); };
  EXPECT_NEAR(mse(Arch::dot), std::pow(0.1 - 4.0, 2), 1e-6);
  EXPECT_NEAR(mse(Arch::dot_range), std::pow(5.5 * sigmoid(0.1) - 4.0, 2), 1e-5);  // sigmoid_range
  EXPECT_NEAR(mse(Arch::dot_bias), std::pow(5.5 * sigmoid(0.1 + 0.1 - 0.1) - 4.0, 2), 1e-5);
}

TEST(CpuEngine, ThreadCountDoesNotChangeTheResult) {
  EncodedRatings d = test_support::synthetic_ratings(60, 80, 0.3, 2);
  TrainValidSplit split = random_split(d, 0.2, 1);
  auto run = [&](int threads) {
    EngineSetup s = test_support::synthetic_setup(split, Arch::dot_bias, 60, 80, 8, 3);
    s.options.threads = threads;
    s.options.epochs = 2;
    auto e = make_cpu_engine(s);
    fit_one_cycle(*e, split.train.size(), s.options, {}, /*validating=*/true);
    return e->weights().get("item_factors").values;
  };
  const auto one = run(1);
  EXPECT_EQ(one, run(2));
  EXPECT_EQ(one, run(3));
}

TEST(CpuEngine, DeferredExactUpdatesGiveTheSameBitsAsUpdatingEveryRowEveryStep) {
  EncodedRatings d = test_support::synthetic_ratings(60, 200, 0.2, 4);
  TrainValidSplit split = random_split(d, 0.2, 1);
  auto run = [&](bool deferred) {
    EngineSetup s = test_support::synthetic_setup(split, Arch::dot_bias, 60, 200, 12, 3);
    s.options.defer_exact_updates = deferred;
    s.options.epochs = 3;
    auto e = make_cpu_engine(s);
    auto history = fit_one_cycle(*e, split.train.size(), s.options, {}, /*validating=*/true);
    return std::make_pair(history.back().valid_loss, e->weights());
  };
  const auto [deferred_loss, deferred] = run(true);
  const auto [dense_loss, dense] = run(false);
  EXPECT_EQ(deferred_loss, dense_loss);
  for (const char* name : {"user_factors", "item_factors", "user_bias", "item_bias"})
    EXPECT_EQ(deferred.get(name).values, dense.get(name).values) << name;
}

TEST(CpuEngine, SparseAdamCatchesUpTheStepsARowMissed) {
  TrainValidSplit data;
  data.train = {{1, 2}, {1, 1}, {4.0f, 3.0f}};
  data.valid = {{1}, {1}, {4.0f}};
  EngineSetup s = tiny_setup(data, Arch::dot_bias, OptimizerKind::sparse_adam);
  s.shape.n_users = 3;
  s.initial.tensors[0] = {"user_factors", {3, 1}, {0.0f, 0.5f, 0.3f}};
  s.initial.tensors[2] = {"user_bias", {3}, {0.0f, 0.1f, 0.2f}};
  auto engine = make_cpu_engine(s);
  const std::int32_t order[] = {0, 0, 0, 1};  // user 1 three times, then user 2
  const StepHyper h[] = {{0.01f, 0.9f}, {0.01f, 0.9f}, {0.01f, 0.9f}, {0.01f, 0.9f}};
  engine->train_batches(order, 3, 1, h, nullptr);
  // User 2 had no gradient yet and no momentum: reading the weights brings it up to date with
  // the three weight decays exact mode would have applied, and nothing else.
  const double decay = 1 - 0.01 * 0.1;
  EXPECT_NEAR(engine->weights().get("user_factors").values[2], 0.3 * std::pow(decay, 3), 1e-7);
  EXPECT_NEAR(engine->weights().get("user_bias").values[2], 0.2 * std::pow(decay, 3), 1e-7);
  // User 1 keeps drifting along its momentum while untouched, as in exact mode.
  auto exact = make_cpu_engine(tiny_setup(data, Arch::dot_bias));
  exact->train_batches(order, 3, 1, h, nullptr);
  EXPECT_NEAR(engine->weights().get("user_factors").values[1], exact->weights().get("user_factors").values[1], 1e-6);
}

TEST(CpuEngine, SparseAdamEndsCloseToExactAdam) {
  EncodedRatings d = test_support::synthetic_ratings(150, 300, 0.2, 8);
  TrainValidSplit split = random_split(d, 0.2, 1);
  auto run = [&](OptimizerKind opt) {
    EngineSetup s = test_support::synthetic_setup(split, Arch::dot_bias, 150, 300, 20, 3);
    s.options.optimizer = opt;
    s.options.lr = 1e-2;
    auto e = make_cpu_engine(s);
    return fit_one_cycle(*e, split.train.size(), s.options, {}, /*validating=*/true).back().valid_loss;
  };
  const double exact = run(OptimizerKind::adam), sparse = run(OptimizerKind::sparse_adam);
  EXPECT_NEAR(sparse, exact, 0.005 * exact) << "exact " << exact << " sparse " << sparse;
}

TEST(CpuEngine, WeightDecayKeepsASmallProblemFromOverfitting) {
  // 50 factors for 60 users and 80 items: without weight decay the model memorises the training
  // rows: a lower training loss, a validation loss that rises after its best epoch, and a worse
  // final validation loss than with wd 0.1.
  EncodedRatings d = test_support::synthetic_ratings(60, 80, 0.4, 5, 0.6f);
  TrainValidSplit split = random_split(d, 0.2, 1);
  auto run = [&](double wd) {
    EngineSetup s = test_support::synthetic_setup(split, Arch::dot_bias, 60, 80, 50, 3);
    s.options.wd = wd;
    s.options.epochs = 12;
    s.options.lr = 1e-2;
    s.options.batch_size = 32;
    auto e = make_cpu_engine(s);
    return fit_one_cycle(*e, split.train.size(), s.options, {}, /*validating=*/true);
  };
  const auto plain = run(0.0), decayed = run(1.0);
  double best_plain = 1e9;
  for (const auto& e : plain) best_plain = std::min(best_plain, e.valid_loss);
  EXPECT_GT(plain.back().valid_loss, best_plain + 0.01);          // overfits after its best epoch
  EXPECT_LT(plain.back().train_loss, decayed.back().train_loss);  // fits the training rows closer
  EXPECT_LT(decayed.back().valid_loss, plain.back().valid_loss);  // and generalises worse
}

TEST(CpuEngine, RatingsLaidOutAheadTrainTheSameAsGatheredInTheStep) {
  // fit_one_cycle has the engine lay out each epoch's ratings on its shuffling thread; a step
  // reads them from there when its order is one laid out, and gathers them itself otherwise.
  EncodedRatings d = test_support::synthetic_ratings(60, 90, 0.2, 5);
  TrainValidSplit split = random_split(d, 0.2, 1);
  const size_t n = split.train.size(), bs = 16, batches = n / bs;
  std::vector<std::int32_t> order(n);
  for (size_t i = 0; i < n; ++i) order[i] = static_cast<std::int32_t>((i * 7919) % n);  // a permutation: n is not a multiple of 7919
  const std::vector<StepHyper> hyper(batches, StepHyper{0.01f, 0.9f});
  for (OptimizerKind opt : {OptimizerKind::adam, OptimizerKind::sparse_adam}) {
    auto run = [&](bool prepare) {
      EngineSetup s = test_support::synthetic_setup(split, Arch::dot_bias, 60, 90, 8, 3);
      s.options.optimizer = opt;
      auto e = make_cpu_engine(s);
      if (prepare) e->prepare_order(order.data(), n);
      // In two calls, as fit does with --progress: the second starts inside the laid-out order.
      auto losses = e->train_batches(order.data(), batches / 2, bs, hyper.data(), nullptr);
      const auto rest = e->train_batches(order.data() + batches / 2 * bs, batches - batches / 2, bs, hyper.data(), nullptr);
      losses.insert(losses.end(), rest.begin(), rest.end());
      return std::make_pair(losses, e->weights().get("item_factors").values);
    };
    const auto gathered = run(false), laid_out = run(true);
    EXPECT_EQ(laid_out.first, gathered.first);
    EXPECT_EQ(laid_out.second, gathered.second);
  }
  // Once forgotten, a layout is not used even for the same storage, now holding another order.
  EngineSetup s = test_support::synthetic_setup(split, Arch::dot_bias, 60, 90, 8, 3);
  auto reused = make_cpu_engine(s), fresh = make_cpu_engine(s);
  reused->prepare_order(order.data(), n);
  reused->forget_prepared_orders();
  std::reverse(order.begin(), order.end());
  EXPECT_EQ(reused->train_batches(order.data(), batches, bs, hyper.data(), nullptr),
            fresh->train_batches(order.data(), batches, bs, hyper.data(), nullptr));
}

// The engine's validation (its own layout, vectorised sums) and the reading verbs' prediction
// (train/forward.h, one rating at a time) are two copies of each architecture's forward pass:
// held equal here to float rounding.
TEST(CpuEngine, ValidationLossIsTheForwardDefinitionsLoss) {
  const EncodedRatings data = test_support::synthetic_ratings(40, 60, 0.3, 11);
  const TrainValidSplit split = random_split(data, 0.2, 5);
  for (Arch arch : {Arch::dot, Arch::dot_range, Arch::dot_bias}) {
    EngineSetup setup = test_support::synthetic_setup(split, arch, 40, 60, 8, 3);
    auto engine = make_cpu_engine(setup);
    TrainOptions o = setup.options;
    o.epochs = 2;
    fit_one_cycle(*engine, split.train.size(), o, {}, /*validating=*/true);
    const Weights w = engine->weights();
    const NamedTensor& users = w.get(tables::user_factors);
    const NamedTensor& items = w.get(tables::item_factors);
    double sum = 0;
    for (size_t r = 0; r < split.valid.size(); ++r) {
      const auto u = static_cast<size_t>(split.valid.user[r]), i = static_cast<size_t>(split.valid.item[r]);
      const float bu = setup.shape.has_bias() ? w.get(tables::user_bias).values[u] : 0.0f;
      const float bi = setup.shape.has_bias() ? w.get(tables::item_bias).values[i] : 0.0f;
      const double diff = embedding_prediction(setup.shape, users.values.data() + u * 8, items.values.data() + i * 8, 8,
                                               bu, bi) - split.valid.rating[r];
      sum += diff * diff;
    }
    EXPECT_NEAR(engine->validation_mse(), sum / static_cast<double>(split.valid.size()), 1e-5) << arch_name(arch);
  }
}

// Sparse mode shares a step's ratings and rows between threads without changing a bit: errors by
// rating, gradients by slot (each summed in rating order), catch-up and update by row.
TEST(CpuEngine, SparseModeGivesTheSameBitsOnAnyNumberOfThreads) {
  const EncodedRatings d = test_support::synthetic_ratings(80, 150, 0.3, 6);
  const TrainValidSplit split = random_split(d, 0.2, 2);
  auto run = [&](int threads) {
    EngineSetup s = test_support::synthetic_setup(split, Arch::dot_bias, 80, 150, 12, 3);
    s.options.optimizer = OptimizerKind::sparse_adam;
    s.options.threads = threads;
    s.options.batch_size = 256;
    s.options.epochs = 3;
    auto e = make_cpu_engine(s);
    const auto history = fit_one_cycle(*e, split.train.size(), s.options, {}, /*validating=*/true);
    return std::make_pair(history.back().valid_loss, e->weights());
  };
  const auto [one_loss, one] = run(1);
  for (int threads : {2, 3, 4}) {
    const auto [loss, weights] = run(threads);
    EXPECT_EQ(one_loss, loss) << threads << " threads";
    for (const char* name : {tables::user_factors, tables::item_factors, tables::user_bias, tables::item_bias})
      EXPECT_EQ(one.get(name).values, weights.get(name).values) << name << ", " << threads << " threads";
  }
}
