// The model's tables cut to one rank's rows and put back together: sharded training (shard_plan.h)
// starts each rank from its rows of the seed's initial tables, and rank 0 assembles the trained
// model from every rank's rows.
#pragma once

#include <cstdint>
#include <vector>

#include "train/train_options.h"
#include "train/weights.h"

namespace collab {

// The initial tables of a rank: the rows of `users`, then those of `items` followed by zero rows
// up to `item_rows` (room for the largest item block).
Weights shard_initial_weights(const Weights& all, const ModelShape& shape, const std::vector<std::int32_t>& users,
                              const std::vector<std::int32_t>& items, size_t item_rows);

// Tables of the whole model's shape, zero.
Weights empty_tables(const ModelShape& shape);

// A rank's rows as it sends them: per row its factors then, for dot-bias, its bias (`width`
// floats). Copies them into the tables at the rows `users` and `items` name.
void place_rows(Weights& tables, const ModelShape& shape, const float* packed, const std::vector<std::int32_t>& users,
                const std::vector<std::int32_t>& items);

// Floats in a packed row.
inline size_t packed_width(const ModelShape& shape) {
  return static_cast<size_t>(shape.factors) + (shape.has_bias() ? 1 : 0);
}

}  // namespace collab
