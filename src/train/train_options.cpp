#include "train/train_options.h"

#include <algorithm>
#include <cmath>

#include "support/error.h"

namespace collab {

std::string arch_name(Arch a) {
  switch (a) {
    case Arch::dot: return "dot";
    case Arch::dot_range: return "dot-range";
    case Arch::dot_bias: return "dot-bias";
    case Arch::nn: return "nn";
    case Arch::popularity: return "popularity";
    case Arch::baseline: return "baseline";
  }
  return "?";
}

Arch parse_arch(const std::string& name) {
  for (Arch a : {Arch::dot, Arch::dot_range, Arch::dot_bias, Arch::nn, Arch::popularity, Arch::baseline})
    if (arch_name(a) == name) return a;
  throw usage_error("unknown architecture '" + name + "' (dot, dot-range, dot-bias, nn, popularity, baseline)");
}

ModelShape model_shape(const ModelSpec& spec, std::int64_t n_users, std::int64_t n_items) {
  ModelShape shape{spec, n_users, n_items};
  if (shape.arch != Arch::nn) shape.layers.clear();
  return shape;
}

DistMode resolved_dist_mode(const TrainOptions& o) {
  if (o.dist != DistMode::automatic) return o.dist;
  return o.optimizer == OptimizerKind::sparse_adam ? DistMode::shard : DistMode::replicate;
}

std::string optimizer_name(OptimizerKind o) {
  switch (o) {
    case OptimizerKind::adam: return "adam";
    case OptimizerKind::sparse_adam: return "sparse-adam";
    case OptimizerKind::als: return "als";
  }
  return "?";
}

OptimizerKind parse_optimizer(const std::string& name) {
  if (name == "adam") return OptimizerKind::adam;
  if (name == "sparse-adam") return OptimizerKind::sparse_adam;
  if (name == "als") return OptimizerKind::als;
  throw usage_error("unknown optimizer '" + name + "' (adam, sparse-adam, als)");
}

std::string loss_name(Loss l) { return l == Loss::mse ? "mse" : "bpr"; }

Loss parse_loss(const std::string& name) {
  if (name == "mse") return Loss::mse;
  if (name == "bpr") return Loss::bpr;
  throw usage_error("unknown loss '" + name + "' (mse, bpr)");
}

int fastai_embedding_size(std::int64_t n_rows) {
  return static_cast<int>(std::min(600.0, std::round(1.6 * std::pow(static_cast<double>(n_rows), 0.56))));
}

namespace {
// The ranking models' defaults, measured on ml-latest-small (docs/experiments.md#ranking-models).
constexpr int kAlsEpochs = 15, kAlsFactors = 64;
constexpr double kAlsLambda = 25;
constexpr int kBprEpochs = 40, kBprBs = 256, kBprFactors = 64;
constexpr double kBprLr = 1e-2, kBprWd = 0.2;
}  // namespace

void apply_model_kind_defaults(TrainOptions& t, const std::function<bool(const char*)>& given) {
  int epochs = 0;
  double lr = 0, wd = -1;
  int bs = 0, factors = 0;
  if (t.model.arch == Arch::popularity) epochs = 1;
  else if (t.model.arch == Arch::baseline) epochs = 10;
  else if (t.optimizer == OptimizerKind::als) epochs = kAlsEpochs, wd = kAlsLambda, factors = kAlsFactors;
  else if (t.loss == Loss::bpr) epochs = kBprEpochs, lr = kBprLr, wd = kBprWd, bs = kBprBs, factors = kBprFactors;
  if (epochs && !given("--epochs")) t.epochs = epochs;
  if (lr > 0 && !given("--lr")) t.lr = lr;
  if (wd >= 0 && !given("--wd")) t.wd = wd;
  if (bs && !given("--bs")) t.batch_size = bs;
  if (factors && !given("--factors")) t.model.factors = factors;
}

}  // namespace collab
