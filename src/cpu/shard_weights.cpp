#include "cpu/shard_weights.h"

#include <algorithm>

namespace collab {
namespace {

// Table `name`'s rows `rows` (then zero rows up to `total`), `width` floats each.
NamedTensor pick(const Weights& all, const char* name, const std::vector<std::int32_t>& rows, size_t total,
                 bool matrix, size_t width) {
  const NamedTensor& from = all.get(name);
  NamedTensor t{name, {static_cast<std::int64_t>(total)}, std::vector<float>(total * width, 0.0f)};
  if (matrix) t.shape.push_back(static_cast<std::int64_t>(width));
  for (size_t r = 0; r < rows.size(); ++r)
    std::copy_n(from.values.begin() + static_cast<std::ptrdiff_t>(static_cast<size_t>(rows[r]) * width), width,
                t.values.begin() + static_cast<std::ptrdiff_t>(r * width));
  return t;
}

}  // namespace

Weights shard_initial_weights(const Weights& all, const ModelShape& shape, const std::vector<std::int32_t>& users,
                              const std::vector<std::int32_t>& items, size_t item_rows) {
  const auto k = static_cast<size_t>(shape.factors);
  Weights w;
  w.tensors.push_back(pick(all, tables::user_factors, users, users.size(), true, k));
  w.tensors.push_back(pick(all, tables::item_factors, items, item_rows, true, k));
  if (shape.has_bias()) {
    w.tensors.push_back(pick(all, tables::user_bias, users, users.size(), false, 1));
    w.tensors.push_back(pick(all, tables::item_bias, items, item_rows, false, 1));
  }
  return w;
}

Weights empty_tables(const ModelShape& shape) {
  const auto k = static_cast<std::int64_t>(shape.factors);
  auto zero = [](const char* name, std::vector<std::int64_t> dims) {
    std::int64_t n = 1;
    for (auto d : dims) n *= d;
    return NamedTensor{name, dims, std::vector<float>(static_cast<size_t>(n), 0.0f)};
  };
  Weights w;
  w.tensors.push_back(zero(tables::user_factors, {shape.n_users, k}));
  w.tensors.push_back(zero(tables::item_factors, {shape.n_items, k}));
  if (shape.has_bias()) {
    w.tensors.push_back(zero(tables::user_bias, {shape.n_users}));
    w.tensors.push_back(zero(tables::item_bias, {shape.n_items}));
  }
  return w;
}

void place_rows(Weights& tables, const ModelShape& shape, const float* packed, const std::vector<std::int32_t>& users,
                const std::vector<std::int32_t>& items) {
  const auto k = static_cast<size_t>(shape.factors);
  const size_t width = packed_width(shape);
  auto place = [&](const char* factors, const char* bias, const std::vector<std::int32_t>& rows) {
    auto* f = const_cast<NamedTensor*>(tables.find(factors));
    auto* b = shape.has_bias() ? const_cast<NamedTensor*>(tables.find(bias)) : nullptr;
    for (size_t r = 0; r < rows.size(); ++r, packed += width) {
      const auto row = static_cast<size_t>(rows[r]);
      std::copy_n(packed, k, f->values.begin() + static_cast<std::ptrdiff_t>(row * k));
      if (b) b->values[row] = packed[k];
    }
  };
  place(tables::user_factors, tables::user_bias, users);
  place(tables::item_factors, tables::item_bias, items);
}

}  // namespace collab
