// The options `train` and `lr-find` share, and their translation into a TrainingRequest for the
// pipeline (train/pipeline.h).
#pragma once

#include <CLI/CLI.hpp>
#include <string>

#include "common_options.h"
#include "train/pipeline.h"

namespace collab::cli {

struct TrainingCommandOptions {
  DataOptions data;
  TrainOptions train;            // --arch and --optimizer land here directly (CLI11 transformers)
  std::string y_range = "0,5.5";
  std::string layers;            // "100,50"
  std::string device = "auto";
  std::string engine = "auto";
};

void add_training_options(CLI::App* verb, TrainingCommandOptions& o);

// Checks what CLI11 cannot (y-range, layers), chooses and prints a fresh seed when --seed was not
// given, and resolves the data source.
TrainingRequest training_request(const CLI::App* verb, TrainingCommandOptions& o);

// The one stderr line that says what is about to train, on what.
void announce_training(const PreparedTraining& run);

}  // namespace collab::cli
