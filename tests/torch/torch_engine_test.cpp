// The LibTorch engines against the hand-written CPU engine and the plain-C++ model reader.
#include <gtest/gtest.h>

#include "cpu/cpu_engine.h"
#include "train/fit.h"
#include "model/interpret.h"
#include "test_support.h"
#include "torch_engines.h"

using namespace collab;

namespace {

struct Problem {
  TrainValidSplit split;
  EngineSetup setup;
};

Problem problem(Arch arch, OptimizerKind opt = OptimizerKind::adam) {
  Problem p;
  EncodedRatings d = test_support::synthetic_ratings(50, 70, 0.4, 11);
  p.split = random_split(d, 0.2, 2);
  p.setup.shape = {{arch, 8, 0.0f, 5.5f, arch == Arch::nn ? std::vector<int>{16, 8} : std::vector<int>{}}, 51, 71};
  p.setup.options.model.factors = 8;
  p.setup.options.epochs = 2;
  p.setup.options.batch_size = 32;
  p.setup.options.optimizer = opt;
  p.setup.options.seed = 5;
  if (arch != Arch::nn) p.setup.initial = initial_embedding_weights(p.setup.shape, 0.01f, 5);
  return p;
}

void expect_same_training(Arch arch, OptimizerKind opt) {
  Problem a = problem(arch, opt), b = problem(arch, opt);
  a.setup.data = &a.split;
  b.setup.data = &b.split;
  auto cpu = make_cpu_engine(a.setup);
  auto torch = torch_backend::make_tensor_engine(b.setup, "cpu");
  auto hc = fit_one_cycle(*cpu, a.split.train.size(), a.setup.options, {}, /*validating=*/true);
  auto ht = fit_one_cycle(*torch, b.split.train.size(), b.setup.options, {}, /*validating=*/true);
  for (size_t e = 0; e < hc.size(); ++e) {
    EXPECT_NEAR(hc[e].train_loss, ht[e].train_loss, 1e-4) << "epoch " << e;
    EXPECT_NEAR(hc[e].valid_loss, ht[e].valid_loss, 1e-4) << "epoch " << e;
  }
  const auto& x = cpu->weights().get("item_factors").values;
  const auto& y = torch->weights().get("item_factors").values;
  ASSERT_EQ(x.size(), y.size());
  for (size_t i = 0; i < x.size(); ++i) ASSERT_NEAR(x[i], y[i], 1e-4) << i;
}

}  // namespace

TEST(TensorEngine, TrainsExactlyAsTheHandWrittenCpuEngine) {
  expect_same_training(Arch::dot_bias, OptimizerKind::adam);
  expect_same_training(Arch::dot, OptimizerKind::adam);
  expect_same_training(Arch::dot_range, OptimizerKind::adam);
}

TEST(TensorEngine, SparseAdamEndsWhereTheCpuEngineDoes) {
  // The CPU engine replays each missed step; LibTorch sums them in closed form: close, not equal.
  Problem a = problem(Arch::dot_bias, OptimizerKind::sparse_adam), b = problem(Arch::dot_bias, OptimizerKind::sparse_adam);
  a.setup.data = &a.split;
  b.setup.data = &b.split;
  a.setup.options.epochs = b.setup.options.epochs = 4;
  auto cpu = make_cpu_engine(a.setup);
  auto torch = torch_backend::make_tensor_engine(b.setup, "cpu");
  const double x = fit_one_cycle(*cpu, a.split.train.size(), a.setup.options, {}, /*validating=*/true).back().valid_loss;
  const double y = fit_one_cycle(*torch, b.split.train.size(), b.setup.options, {}, /*validating=*/true).back().valid_loss;
  EXPECT_NEAR(x, y, 0.01 * x);
}

TEST(NnEngine, TrainsAndItsSavedWeightsPredictAsLibTorchDoes) {
  Problem p = problem(Arch::nn);
  p.setup.data = &p.split;
  p.setup.options.epochs = 3;
  p.setup.options.lr = 1e-2;
  auto engine = torch_backend::make_nn_engine(p.setup, "cpu");
  auto history = fit_one_cycle(*engine, p.split.train.size(), p.setup.options, {}, /*validating=*/true);
  EXPECT_LT(history.back().valid_loss, history.front().valid_loss);

  // The reading verbs' plain C++ forward pass must give LibTorch's validation loss.
  SavedModel m;
  m.shape = p.setup.shape;
  m.weights = engine->weights();
  double sum = 0;
  for (size_t r = 0; r < p.split.valid.size(); ++r) {
    const double diff = predict_rating(m, p.split.valid.user[r], p.split.valid.item[r]) - p.split.valid.rating[r];
    sum += diff * diff;
  }
  EXPECT_NEAR(sum / static_cast<double>(p.split.valid.size()), engine->validation_mse(), 1e-4);
  EXPECT_EQ(m.weights.get("user_factors").cols(), fastai_embedding_size(51));
}

TEST(NnEngine, RepeatsForASeed) {
  auto run = [] {
    Problem p = problem(Arch::nn);
    p.setup.data = &p.split;
    auto e = torch_backend::make_nn_engine(p.setup, "cpu");
    return fit_one_cycle(*e, p.split.train.size(), p.setup.options, {}, /*validating=*/true).back().valid_loss;
  };
  EXPECT_EQ(run(), run());
}
