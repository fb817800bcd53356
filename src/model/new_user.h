// A person who is not in the model, from a few of their ratings, without retraining: their
// factors and bias are fitted with every item's held fixed, by the loss and the optimizer that
// trained the model (MSE through the model's output, fastai's Adam with the model's decoupled
// weight decay, one cycle at the model's learning rate), over all their ratings at every step.
#pragma once

#include <string>
#include <vector>

#include "data/ratings_loader.h"
#include "train/trained_model.h"

namespace collab {

struct PersonItemRating {
  std::int32_t item;
  float rating;
};

// The person's ratings matched to the model's items: titles as `collab similar` matches them,
// movieIds exactly; an unknown item is a data error naming the file and line.
std::vector<PersonItemRating> match_person_ratings(const SavedModel& model, const PersonRatings& ratings,
                                                   const std::string& path);

// The model with one more user row, fitted to `ratings` (which become that user's training
// rows, so that recommendations leave them out). Returns the new row. Embedding models only.
std::int32_t add_fitted_user(SavedModel& model, const std::vector<PersonItemRating>& ratings);

// Steps of the fit: enough for Adam to settle on a few dozen ratings (the loss is flat by then).
constexpr int kNewUserSteps = 300;

}  // namespace collab
