// A model's learned tables as plain named float arrays: what engines hand back and files store.
#pragma once

#include <cstdint>
#include <string>
#include <vector>

#include "train/train_options.h"

namespace collab {

struct NamedTensor {
  std::string name;
  std::vector<std::int64_t> shape;
  std::vector<float> values;  // row-major
  std::int64_t rows() const { return shape.empty() ? 1 : shape[0]; }
  std::int64_t cols() const { return shape.size() < 2 ? 1 : shape[1]; }
};

struct Weights {
  std::vector<NamedTensor> tensors;
  const NamedTensor* find(const std::string& name) const;
  const NamedTensor& get(const std::string& name) const;  // throws a data error if absent
};

// The seed's initialisation of the embedding models: every table drawn from normal(0, init_std).
// Tables: user_factors [users, k], item_factors [items, k], and for dot-bias user_bias [users],
// item_bias [items].
Weights initial_embedding_weights(const ModelShape& shape, float init_std, std::uint64_t seed);

}  // namespace collab
