// What training hands on: a model with all a reading verb needs (architecture, options, weights,
// vocabularies, which user rated what in training, the epoch table). model/model_file.h stores it.
#pragma once

#include <cstdint>
#include <string>
#include <vector>

#include "data/data_source.h"
#include "data/encoding.h"
#include "train/filters.h"
#include "train/fit.h"
#include "train/split.h"
#include "train/train_options.h"
#include "train/weights.h"

namespace collab {

struct SavedModel {
  ModelShape shape;
  TrainOptions options;
  // Where the ratings came from, to rebuild the split (eval); its description ("ml-latest-small",
  // "RATINGS + MOVIES", "ratings in memory") is the file's "dataset".
  DataSource source;
  bool has_source = true;   // false for ratings trained in memory, and models written before collab recorded it
  RatingFilters filters;    // what was filtered out before the split (none for older models)
  SplitSpec split;          // how the validation rows were chosen (permuted by options.seed)
  std::string split_rows;   // split_fingerprint of the rows trained and validated on; empty in older models
  // Or, from a rank that held only its own users' ratings (sharded training), the split's
  // membership hash (train/split_membership.h).
  std::string split_membership;
  std::string device;
  std::vector<EpochRecord> history;
  Vocabulary vocabulary;
  Weights weights;
  // The training rows by user: items of user u are rated_items[rated_offsets[u], rated_offsets[u+1]).
  std::vector<std::int64_t> rated_offsets;
  std::vector<std::int32_t> rated_items;

  bool user_trained(std::int32_t user) const;
  std::vector<char> items_trained() const;  // per item row: seen in the training rows
};

// Groups the training rows by user into rated_offsets/rated_items.
void index_training_rows(const RatingSet& train, std::size_t user_rows, SavedModel& model);

}  // namespace collab
