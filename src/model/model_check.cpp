// The checks behind load_model: a model file whose checksum is right can still disagree with
// itself (crafted, or written by a buggy version), and every reading verb indexes tables by the
// vocabularies' sizes. Each check here is a bound some reading code relies on.
#include <cmath>
#include <set>

#include "support/error.h"
#include "model/model_file.h"

namespace collab {
namespace {

class Checker {
 public:
  Checker(const std::string& path, const SavedModel& m) : path_(path), m_(m) {}

  void fail(const std::string& what) const { throw data_error(path_ + ": inconsistent model file: " + what); }

  // The table `name` must exist with exactly `shape`.
  const NamedTensor& table(const std::string& name, const std::vector<std::int64_t>& shape) const {
    const NamedTensor* t = m_.weights.find(name);
    if (!t) fail("no table '" + name + "' for a " + arch_name(m_.shape.arch) + " model");
    // A one-factor table was stored as [rows] before collab wrote [rows, 1]: the same table.
    const bool one_factor_as_vector = shape.size() == 2 && shape[1] == 1 && t->shape.size() == 1 && t->shape[0] == shape[0];
    if (t->shape != shape && !one_factor_as_vector) fail("table '" + name + "' has shape " + shape_text(t->shape) + ", expected " + shape_text(shape));
    return *t;
  }

  static std::string shape_text(const std::vector<std::int64_t>& s) {
    std::string out = "[";
    for (size_t i = 0; i < s.size(); ++i) out += (i ? ", " : "") + std::to_string(s[i]);
    return out + "]";
  }

 private:
  const std::string& path_;
  const SavedModel& m_;
};

void check_vocabulary(const Checker& c, const SavedModel& m) {
  const Vocabulary& v = m.vocabulary;
  if (m.shape.n_users < 1 || m.shape.n_items < 1) c.fail("a table needs at least its #na# row");
  if (v.user_ids.size() != static_cast<size_t>(m.shape.n_users))
    c.fail(std::to_string(v.user_ids.size()) + " user ids for " + std::to_string(m.shape.n_users) + " user rows");
  if (v.item_titles.size() != static_cast<size_t>(m.shape.n_items) || v.item_movie_ids.size() != v.item_titles.size())
    c.fail(std::to_string(v.item_titles.size()) + " titles and " + std::to_string(v.item_movie_ids.size()) +
           " movieIds for " + std::to_string(m.shape.n_items) + " item rows");
  // Users are looked up by binary search: their ids must be in increasing order after #na#.
  for (size_t u = 2; u < v.user_ids.size(); ++u)
    if (v.user_ids[u] <= v.user_ids[u - 1]) c.fail("user ids are not in increasing order at row " + std::to_string(u));
}

void check_training_rows(const Checker& c, const SavedModel& m) {
  const auto& off = m.rated_offsets;
  if (off.size() != m.vocabulary.user_ids.size() + 1) c.fail("the rated-items index has the wrong number of offsets");
  if (off.front() != 0) c.fail("the rated-items index does not start at 0");
  for (size_t u = 1; u < off.size(); ++u)
    if (off[u] < off[u - 1]) c.fail("the rated-items index goes backwards at user row " + std::to_string(u - 1));
  if (off.back() != static_cast<std::int64_t>(m.rated_items.size()))
    c.fail("the rated-items index ends at " + std::to_string(off.back()) + " but holds " +
           std::to_string(m.rated_items.size()) + " items");
  const auto items = static_cast<std::int64_t>(m.vocabulary.item_titles.size());
  for (auto i : m.rated_items)
    if (i < 0 || i >= items) c.fail("a rated item " + std::to_string(i) + " is outside the item rows");
}

void check_tables(const Checker& c, const SavedModel& m) {
  const ModelShape& s = m.shape;
  std::set<std::string> names;
  for (const auto& t : m.weights.tensors)
    if (!names.insert(t.name).second) c.fail("table '" + t.name + "' appears twice");
  if (s.arch == Arch::popularity || s.arch == Arch::baseline) {
    if (s.arch == Arch::popularity) {
      c.table(tables::item_count, {s.n_items});
    } else {
      c.table(tables::global_mean, {1});
      c.table(tables::user_bias, {s.n_users});
      c.table(tables::item_bias, {s.n_items});
    }
    if (names.size() != (s.arch == Arch::popularity ? 1u : 3u))
      c.fail("unexpected tables for a " + arch_name(s.arch) + " model");
    return;
  }
  if (s.arch != Arch::nn) {
    if (s.factors < 1) c.fail("factors must be positive");
    c.table(tables::user_factors, {s.n_users, s.factors});
    c.table(tables::item_factors, {s.n_items, s.factors});
    if (s.has_bias()) {
      c.table(tables::user_bias, {s.n_users});
      c.table(tables::item_bias, {s.n_items});
    }
    if (m.weights.tensors.size() != names.size() || names.size() != (s.has_bias() ? 4u : 2u))
      c.fail("unexpected tables for a " + arch_name(s.arch) + " model");
    return;
  }
  // nn: the embeddings' widths are free; each layer's input is the previous layer's output.
  const NamedTensor* users = m.weights.find(tables::user_factors);
  const NamedTensor* items = m.weights.find(tables::item_factors);
  if (!users || !items || users->shape.size() != 2 || items->shape.size() != 2)
    c.fail("an nn model needs two-dimensional user_factors and item_factors");
  c.table(tables::user_factors, {s.n_users, users->cols()});
  c.table(tables::item_factors, {s.n_items, items->cols()});
  std::int64_t width = users->cols() + items->cols();
  for (size_t l = 0; l < s.layers.size(); ++l) {
    const std::int64_t out = s.layers[l];
    if (out < 1) c.fail("layer " + std::to_string(l) + " has no units");
    c.table(tables::layer(l, tables::linear_weight), {out, width});
    for (const char* bn : {tables::bn_weight, tables::bn_bias, tables::bn_running_mean, tables::bn_running_var})
      c.table(tables::layer(l, bn), {out});
    width = out;
  }
  c.table(tables::out_weight, {1, width});
  c.table(tables::out_bias, {1});
  if (names.size() != 4 + 5 * s.layers.size()) c.fail("unexpected tables for an nn model");
}

}  // namespace

void check_model_invariants(const std::string& path, const SavedModel& m) {
  const Checker c(path, m);
  if (!std::isfinite(m.shape.y_low) || !std::isfinite(m.shape.y_high) || !(m.shape.y_low < m.shape.y_high))
    c.fail("the y-range is not two finite numbers LO < HI");
  check_vocabulary(c, m);
  check_training_rows(c, m);
  check_tables(c, m);
  for (const auto& t : m.weights.tensors) {
    std::uint64_t n = 1;
    for (auto d : t.shape) n *= static_cast<std::uint64_t>(d);  // shapes were bounded when read
    if (t.values.size() != n) c.fail("table '" + t.name + "' holds the wrong number of values");
  }
}

}  // namespace collab
