// What a trained model says: biases, similar items, predictions, recommendations, and the
// principal components of the item factors, as in the fastai book. Plain C++ on a SavedModel.
#pragma once

#include <cstdint>
#include <string>
#include <vector>

#include "model/model_file.h"

namespace collab {

struct ScoredItem {
  std::int32_t index;  // row in the vocabulary
  std::string name;    // title, or userId for users
  double value;
};

struct BiasExtremes {
  std::vector<ScoredItem> lowest;   // lowest first
  std::vector<ScoredItem> highest;  // highest first
};

// Rows never seen in the training split kept their near-zero initial values; they are left out
// unless include_untrained.
BiasExtremes extreme_biases(const SavedModel& m, size_t top, bool users, bool include_untrained);

// Items whose factors have the highest cosine similarity to `item`'s (the book's embedding distance).
std::vector<ScoredItem> similar_items(const SavedModel& m, std::int32_t item, size_t top,
                                      bool include_untrained);

double predict_rating(const SavedModel& m, std::int32_t user, std::int32_t item);

// The highest predicted ratings among items the user did not rate in the training rows.
std::vector<ScoredItem> recommend_items(const SavedModel& m, std::int32_t user, size_t top,
                                        bool include_untrained);

struct ItemPca {
  std::vector<std::int32_t> items;            // the items analysed
  std::vector<double> explained_variance;     // share of the variance, per component
  std::vector<std::vector<double>> coordinates;  // [item][component]
};

// PCA of the item factors over the `most_rated` items with the most training ratings (all trained
// items when 0), like the book's figure over the 1,000 most rated movies.
ItemPca item_factor_pca(const SavedModel& m, int components, size_t most_rated);

}  // namespace collab
