// What the public API's sources share and nothing else sees: the model handle's state, and the
// translations between the API's plain types and the pipeline's.
#pragma once

#include "collab/collab.h"
#include "data/encoding.h"
#include "pipeline/pipeline.h"
#include "train/trained_model.h"

namespace collab {

struct Model::State {
  SavedModel model;
};

// The ratings merged with their titles and encoded, as a data set's files are (docs/data.md);
// a malformed table is a data error naming the row ("ratings table line N", rows from 0).
EncodedRatings encode_ratings(const Ratings& ratings);
// The rows of `data` named by `rows`, back in the API's form, with the input's titles.
Ratings ratings_of_rows(const EncodedRatings& data, const std::vector<std::int32_t>& rows,
                        const std::map<std::int32_t, std::string>& titles);
SplitSpec split_spec_of(const SplitOptions& options);
// A training request on ratings in memory: options checked (usage errors naming the field).
TrainingRequest training_request_of(const TrainingOptions& options, ItemKey key);
Model model_of(SavedModel model);

}  // namespace collab
