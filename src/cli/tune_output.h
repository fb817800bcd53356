// What `collab tune` prints: a row per trial (a table or JSON lines) and the best configuration
// with its score on the test rows.
#pragma once

#include <string>
#include <vector>

#include "cli/plot.h"
#include "model/evaluation.h"
#include "train/tuning.h"

namespace collab::cli {

struct TuneTable {
  const std::vector<TunedOption>* space = nullptr;
  std::string metric;      // metric_name of the tuning metric
  bool minimised = true;   // rmse, mae; the ranking metrics are shown "@k"
  int k = 10;
  bool epochs_column = true;  // epochs is not tuned: each row shows it
  bool json = false;
  int folds = 0;  // inner cross-validation: rows show the folds' standard deviation
};

// The best trial's retraining on the whole training part, scored on the test rows.
struct TuneBest {
  const TrialResult* trial = nullptr;
  size_t trials = 0;  // how many finished
  int epochs = 0;
  Evaluation test;
  size_t train_rows = 0, test_rows = 0;
};

void print_tune_header(const TuneTable& table);  // the table's header (nothing in JSON)
void print_tune_trial(const TuneTable& table, const TrialResult& trial);
void print_tune_best(const TuneTable& table, const TuneBest& best);

// The picture of --plot: the metric against each tuned option, then the best so far by trial.
std::string tune_plot(const std::string& path, const TuneTable& table, const std::vector<TrialResult>& results);

}  // namespace collab::cli
