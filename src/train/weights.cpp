#include "train/weights.h"

#include "support/error.h"
#include "support/random.h"

namespace collab {

const NamedTensor* Weights::find(const std::string& name) const {
  for (const auto& t : tensors)
    if (t.name == name) return &t;
  return nullptr;
}

const NamedTensor& Weights::get(const std::string& name) const {
  if (auto* t = find(name)) return *t;
  throw data_error("the model has no table '" + name + "'");
}

Weights initial_embedding_weights(const ModelShape& s, float init_std, std::uint64_t seed) {
  Rng rng(seed, /*stream=*/2);
  auto table = [&](const std::string& name, std::vector<std::int64_t> shape) {
    NamedTensor t{name, shape, {}};
    std::int64_t n = 1;
    for (auto d : shape) n *= d;
    t.values.resize(static_cast<size_t>(n));
    for (auto& v : t.values) v = rng.normal(0.0f, init_std);
    return t;
  };
  Weights w;
  w.tensors.push_back(table(tables::user_factors, {s.n_users, s.factors}));
  w.tensors.push_back(table(tables::item_factors, {s.n_items, s.factors}));
  if (s.has_bias()) {
    w.tensors.push_back(table(tables::user_bias, {s.n_users}));
    w.tensors.push_back(table(tables::item_bias, {s.n_items}));
  }
  return w;
}

}  // namespace collab
