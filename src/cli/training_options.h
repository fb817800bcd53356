// The options `train` and `lr-find` share, and their translation into a TrainingRequest for the
// pipeline (pipeline/pipeline.h).
#pragma once

#include <CLI/CLI.hpp>
#include <string>

#include "common_options.h"
#include "pipeline/pipeline.h"

namespace collab::cli {

// --split, --valid-pct, --test-pct, --valid-last, --valid-ratings: every verb that splits (train,
// lr-find, split).
struct SplitOptions {
  SplitKind kind = SplitKind::random;
  double valid_pct = 0.2;
  double test_pct = 0;
  int valid_last = 1;
  std::string valid_ratings;
};
void add_split_options(CLI::App* verb, SplitOptions& o);
// A usage error (64) for a split option given where the chosen split does not read it
// (--valid-last without --split user-last, --valid-pct with it).
void check_split_options_apply(const CLI::App* verb, const SplitOptions& o);
SplitSpec split_spec(const SplitOptions& o);

// --min-rating, --min-user-ratings, --min-item-ratings: every verb that loads data to train on it
// (train, lr-find, cv, split).
struct FilterOptions {
  double min_rating = 0;  // a filter only when given
  int min_user_ratings = 0;
  int min_item_ratings = 0;
};
void add_filter_options(CLI::App* verb, FilterOptions& o);
RatingFilters rating_filters(const CLI::App* verb, const FilterOptions& o);

// The notes on stderr about the data a run trains on: what the filters removed (when there are
// filters) and how many users a per-user split kept whole in training.
void report_filters_and_split(const RatingFilters& filters, const FilterReport& report, const SplitSpec& spec,
                              const TrainValidSplit& split);

struct TrainingCommandOptions {
  DataOptions data;
  FilterOptions filters;
  SplitOptions split;
  TrainOptions train;            // --arch and --optimizer land here directly (CLI11 transformers)
  std::string y_range = "0,5.5";
  std::string layers;            // "100,50"
  std::string device = "auto";
  std::string engine = "auto";
};

// --epochs and --lr (train and cv; lr-find sweeps the rate instead).
void add_epochs_and_lr(CLI::App* verb, TrainOptions& t);

// The data, filter, model and optimizer options; the split options too where `with_split`.
void add_training_options(CLI::App* verb, TrainingCommandOptions& o, bool with_split = true);

// Checks what CLI11 cannot (y-range, layers), chooses and prints a fresh seed when --seed was not
// given, and resolves the data source.
TrainingRequest training_request(const CLI::App* verb, TrainingCommandOptions& o);

// The one stderr line that says what is about to train, on what (after the notes of
// report_filters_and_split).
void announce_training(const PreparedTraining& run, const TrainingRequest& request);

}  // namespace collab::cli
