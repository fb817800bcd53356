#include "cpu/row_store.h"

#include <sys/mman.h>

#include <cstring>

#include "support/error.h"

namespace collab {

void FloatBuffer::assign_zero(size_t n) {
  constexpr size_t kHugePage = size_t{2} << 20;
  const size_t align = n * sizeof(float) >= kHugePage ? kHugePage : 64;
  const size_t bytes = ((n * sizeof(float) + align - 1) / align) * align;
  data_.reset(static_cast<float*>(std::aligned_alloc(align, bytes ? bytes : align)));
  if (!data_) throw internal_error("out of memory for the model's parameters");
  if (align == kHugePage) madvise(data_.get(), bytes, MADV_HUGEPAGE);  // a hint; may be refused
  std::memset(data_.get(), 0, bytes);
}

RowStore::RowStore(const ModelShape& shape, const Weights& initial)
    : k_(static_cast<size_t>(shape.factors)),
      users_(static_cast<size_t>(shape.n_users)),
      items_(static_cast<size_t>(shape.n_items)),
      has_bias_(shape.has_bias()),
      stride_((k_ + (has_bias_ ? 1 : 0) + kLanes - 1) / kLanes * kLanes) {
  // The padding after each span stays zero: the updates keep a zero parameter with zero
  // moments at zero, and the dot product never reads it.
  state_.assign_zero(rows() * 3 * stride_);
  states.assign(rows(), RowState{});
  auto copy = [&](const char* name, size_t first_row, size_t count_rows, size_t from, size_t count) {
    const NamedTensor& t = initial.get(name);
    if (t.values.size() != count_rows * count) throw internal_error(std::string("wrong size for ") + name);
    for (size_t r = 0; r < count_rows; ++r)
      std::memcpy(param(first_row + r) + from, t.values.data() + r * count, count * sizeof(float));
  };
  copy(tables::user_factors, 0, users_, 0, k_);
  copy(tables::item_factors, users_, items_, 0, k_);
  if (has_bias_) {
    copy(tables::user_bias, 0, users_, k_, 1);
    copy(tables::item_bias, users_, items_, k_, 1);
  }
}

Weights RowStore::weights() const {
  Weights w;
  // Factor tables are [rows, k] even for k = 1; bias tables are [rows].
  auto table = [&](const char* name, size_t first_row, size_t count_rows, size_t from, size_t count) {
    NamedTensor t{name, {static_cast<std::int64_t>(count_rows)}, {}};
    if (from == 0) t.shape.push_back(static_cast<std::int64_t>(count));
    t.values.reserve(count_rows * count);
    for (size_t r = 0; r < count_rows; ++r) {
      const float* p = param(first_row + r) + from;
      t.values.insert(t.values.end(), p, p + count);
    }
    w.tensors.push_back(std::move(t));
  };
  table(tables::user_factors, 0, users_, 0, k_);
  table(tables::item_factors, users_, items_, 0, k_);
  if (has_bias_) {
    table(tables::user_bias, 0, users_, k_, 1);
    table(tables::item_bias, users_, items_, k_, 1);
  }
  return w;
}

}  // namespace collab
