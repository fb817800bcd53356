// The path from a data source to a trained model as library calls, which every verb that trains
// reuses (train, lr-find): load -> filter -> split -> initial weights -> engine -> fit -> SavedModel.
#pragma once

#include <memory>
#include <string>

#include "data/data_source.h"
#include "train/distributed.h"
#include "train/engine.h"
#include "train/filters.h"
#include "train/fit.h"
#include "train/split.h"
#include "train/trained_model.h"

namespace collab {

struct TrainingRequest {
  DataSource source;
  TrainOptions options;        // the seed already chosen
  RatingFilters filters;       // applied before the split
  SplitSpec split;             // the validation rows, permuted by options.seed
  std::string device = "auto"; // auto|cpu|cuda
  std::string engine = "auto"; // auto|cpu|torch
  Communicator* communicator = nullptr;  // training across processes (train/distributed.h)
  std::string checkpoint_dir;            // sharded training's --checkpoint (cpu/shard_checkpoint.h)
};

struct RankLocalData;  // pipeline/rank_local.h

// Everything before the first step.
struct PreparedTraining {
  EncodedRatings data;
  FilterReport filtered;  // what the request's filters removed
  TrainValidSplit split;
  EngineSetup setup;
  std::unique_ptr<TrainingEngine> engine;
  // Sharded training: the split by each row's role (train/split_membership.h), which every rank
  // can hash, and, on a rank that loaded only its own users' ratings, what it knows of the rest
  // (`data` then holds the vocabulary only, `split` nothing once the engine has its strata).
  std::string split_membership;
  std::shared_ptr<RankLocalData> rank_local;

  // The whole data set's and split's sizes, on any rank.
  size_t ratings() const;
  size_t train_ratings() const;
  size_t valid_ratings() const;
};

// Loads the data (downloading a registered set when missing), filters and splits it, draws the
// initial weights and makes the engine the request asks for.
std::unique_ptr<PreparedTraining> prepare_training(const TrainingRequest& request);
// The same on data already loaded and filtered (ratings a program holds in memory).
std::unique_ptr<PreparedTraining> prepare_training_from(const TrainingRequest& request, EncodedRatings data);
// The same on data already loaded, filtered and split (cross-validation's folds).
std::unique_ptr<PreparedTraining> prepare_training_on(const TrainingRequest& request, EncodedRatings data,
                                                      TrainValidSplit split);
// The same, starting from what is already known of the run (a rank-local load's).
std::unique_ptr<PreparedTraining> prepare_training_on(const TrainingRequest& request, EncodedRatings data,
                                                      TrainValidSplit split, std::unique_ptr<PreparedTraining> run);

// The explained errors of a split that leaves the validation set empty where one was asked for,
// or nothing to train on.
void check_split_sizes(const SplitSpec& spec, size_t ratings, size_t train, size_t valid);

// fastai's fit_one_cycle on the prepared engine, then the model as a file stores it (its
// vocabulary is moved out of `run`, and its engine released once the weights are read). Throws
// what fit_one_cycle throws (a diverged loss, Interrupted).
SavedModel train_model(PreparedTraining& run, const TrainingRequest& request, const FitHooks& hooks);

// A hash of what every rank must agree on: every option that changes a bit of training, the users,
// items and titles, and every rating of the split (train and validation) in order.
std::uint64_t training_fingerprint(const PreparedTraining& run, const TrainingRequest& request);

}  // namespace collab
