// Everything a training run is told, with fastai's defaults named in one place.
#pragma once

#include <cstdint>
#include <functional>
#include <string>
#include <vector>

namespace collab {

enum class Arch {
  dot,        // the seed's DotProduct: user . item
  dot_range,  // DotProduct2: sigmoid_range(user . item)
  dot_bias,   // DotProductBias: sigmoid_range(user . item + user_bias + item_bias), the default
  nn,         // fastai's EmbeddingNN: concatenated embeddings through Linear-ReLU-BatchNorm layers
  popularity, // items scored by their count of training interactions (a ranking baseline)
  baseline,   // Surprise's BaselineOnly: mu + user_bias + item_bias, fitted by ALS
};

enum class OptimizerKind {
  adam,         // fastai's Adam with decoupled weight decay on every parameter, every step
  sparse_adam,  // Adam and weight decay only on the rows a batch touches
  als,          // alternating least squares: weighted ALS with --implicit (cpu/implicit_als.h)
};

enum class Loss {
  mse,  // squared error against the rating
  bpr,  // Rendle et al.'s Bayesian personalised ranking: -log sigmoid(x_ui - x_uj), --implicit only
};

std::string arch_name(Arch a);
Arch parse_arch(const std::string& name);  // throws a usage error
// How several ranks divide training (train/distributed.h, docs/distributed.md).
enum class DistMode {
  automatic,  // shard for sparse-adam, replicate for exact mode
  shard,      // each rank owns 1/R of the users and items, their Adam state and their ratings
  replicate,  // each rank holds the whole model; ends where one process ends, bit for bit
};

std::string optimizer_name(OptimizerKind o);
OptimizerKind parse_optimizer(const std::string& name);
std::string loss_name(Loss l);
Loss parse_loss(const std::string& name);

// What a model is: its architecture and what it learns, as the options ask for it and a model's
// shape carries it (one definition for both).
struct ModelSpec {
  Arch arch = Arch::dot_bias;
  int factors = 50;
  float y_low = 0.0f;          // sigmoid_range(x, y_low, y_high)
  float y_high = 5.5f;
  std::vector<int> layers;     // nn hidden sizes; empty in options: fastai's default, {factors}
  bool implicit = false;       // trained on interactions: it scores items, it does not predict ratings
  bool has_bias() const { return arch == Arch::dot_bias || arch == Arch::baseline; }
  bool has_factors() const { return arch != Arch::popularity && arch != Arch::baseline; }
  bool has_range() const {
    return arch != Arch::dot && arch != Arch::popularity && arch != Arch::baseline && !implicit;
  }
  // Rating metrics apply: the model's output is a rating, not a ranking score.
  bool predicts_ratings() const { return !implicit && arch != Arch::popularity; }
};

// How a run trains. Which ratings validate is a SplitSpec's (train/split.h), kept beside these
// options and never copied into them.
struct TrainOptions {
  ModelSpec model;
  int epochs = 5;
  double lr = 5e-3;            // fit_one_cycle's lr_max
  double wd = 0.1;
  int batch_size = 64;
  std::uint64_t seed = 0;      // the split's permutation, the initial weights, the batches' order
  OptimizerKind optimizer = OptimizerKind::adam;
  int threads = 0;             // 0: choose
  // Exact mode (OptimizerKind::adam) defers the gradient-free updates of rows a step did not
  // touch and replays them, with the same arithmetic, when the row is next read: the same bits as
  // updating every row every step, for a fraction of the memory traffic. false: update every row
  // every step (tests hold the deferred updates to it).
  bool defer_exact_updates = true;
  float init_std = 0.01f;      // the seed's create_params: normal(0, 0.01)

  // fastai's Adam
  double beta2 = 0.99;         // sqr_mom
  double eps = 1e-5;
  // fastai's AvgSmoothLoss
  double smooth_beta = 0.98;

  // Implicit feedback (model.implicit, docs/experiments.md#ranking-models): every training rating
  // at or above positive_rating is a positive interaction, the rest are not interactions.
  float positive_rating = 0.0f;  // 0: every rated item, as Microsoft Recommenders' BPR on MovieLens
  Loss loss = Loss::mse;
  int negatives = 4;             // BPR: negatives drawn per positive (measured: docs/experiments.md)
  double alpha = 0.5;            // implicit ALS: confidence 1 + alpha * rating (measured: docs/experiments.md)
  int cg_steps = 3;              // implicit ALS: conjugate-gradient steps per row and sweep (implicit's default)
  // --arch baseline: Surprise's BaselineOnly ALS defaults (reg_u 15, reg_i 10, n_epochs 10).
  double reg_u = 15.0;
  double reg_i = 10.0;

  DistMode dist = DistMode::automatic;  // several ranks only
};

// What `dist` comes to: automatic shards sparse-adam and replicates exact mode, whose point is
// one process's bits (sharding changes which ratings share a step).
DistMode resolved_dist_mode(const TrainOptions& o);

// A model as built: what it is, and the number of rows of each table it learns.
struct ModelShape : ModelSpec {
  std::int64_t n_users = 0;    // rows, #na# included
  std::int64_t n_items = 0;
};

// The shape of a model `spec` describes with these tables' rows. Only an nn model has layers
// (the model file's shape lists none for the others).
ModelShape model_shape(const ModelSpec& spec, std::int64_t n_users, std::int64_t n_items);

// Defaults that differ by model kind, where the option was not `given` (its name, "--epochs"):
// popularity counts once, BaselineOnly makes Surprise's 10 passes, implicit ALS and BPR take the
// settings measured in docs/experiments.md#ranking-models.
void apply_model_kind_defaults(TrainOptions& options, const std::function<bool(const char* option)>& given);

// fastai's emb_sz_rule: min(600, round(1.6 * n^0.56)) for a table of n rows.
int fastai_embedding_size(std::int64_t n_rows);

}  // namespace collab
