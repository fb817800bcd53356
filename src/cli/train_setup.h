// The options `train` and `lr-find` share, and the steps from options to a ready engine.
#pragma once

#include <CLI/CLI.hpp>
#include <memory>
#include <string>

#include "train/engine.h"
#include "train/train_options.h"
#include "common_options.h"

namespace collab::cli {

struct TrainCommand {
  DataOptions data;
  TrainOptions train;
  std::string arch = "dot-bias";
  std::string optimizer = "adam";
  std::string y_range = "0,5.5";
  std::string layers;        // "100,50"
  std::string device = "auto";
  std::string engine = "auto";
  bool seed_given = false;
};

void add_training_options(CLI::App* verb, TrainCommand& c);

// Resolves the seed (printing a fresh one), checks the numbers and fills c.train.
void finish_training_options(CLI::App* verb, TrainCommand& c);

// Everything between the options and the first step: data, split, shape, weights, engine.
struct PreparedRun {
  EncodedRatings data;
  TrainValidSplit split;
  EngineSetup setup;
  std::unique_ptr<TrainingEngine> engine;
};
std::unique_ptr<PreparedRun> prepare_run(const TrainCommand& c);

}  // namespace collab::cli
