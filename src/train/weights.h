// A model's learned tables as plain named float arrays: what engines hand back and files store.
#pragma once

#include <cstdint>
#include <string>
#include <vector>

#include "train/train_options.h"

namespace collab {

// The tables' names as model files store them, one place for every engine and reader.
namespace tables {
inline constexpr const char* user_factors = "user_factors";  // [users, k]; nn: [users, its width]
inline constexpr const char* item_factors = "item_factors";
inline constexpr const char* user_bias = "user_bias";        // [users], dot-bias only
inline constexpr const char* item_bias = "item_bias";
inline constexpr const char* item_count = "item_count";    // popularity: [items], training interactions
inline constexpr const char* global_mean = "global_mean";  // baseline: [1], mu
inline constexpr const char* out_weight = "out.weight";      // nn: the output layer, [1, width]
inline constexpr const char* out_bias = "out.bias";          // [1]
// nn hidden layer l's tables: "layers.<l>.<part>".
inline constexpr const char* linear_weight = "linear.weight";  // [units, inputs]
inline constexpr const char* bn_weight = "bn.weight";          // [units] each, BatchNorm
inline constexpr const char* bn_bias = "bn.bias";
inline constexpr const char* bn_running_mean = "bn.running_mean";
inline constexpr const char* bn_running_var = "bn.running_var";
inline std::string layer(size_t l, const char* part) { return "layers." + std::to_string(l) + "." + part; }
}  // namespace tables

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
