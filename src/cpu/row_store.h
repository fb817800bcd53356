// The CPU engine's parameters and optimizer state, one row per user and item.
//
// A row is its parameters (factors, then the bias for dot-bias), Adam's m and sqrt(v), one after
// another in memory, each span padded to a whole number of vectors. A step reads a few scattered
// rows; keeping all that a row needs together makes each one a single short stream from memory.
// Items' rows follow the users'.
#pragma once

#include <cstddef>
#include <cstdint>
#include <cstdlib>
#include <memory>
#include <vector>

#include "cpu/sparse_adam.h"
#include "train/train_options.h"
#include "train/weights.h"

namespace collab {

// Float storage aligned for vectors, zeroed. A large table sits on 2 MiB pages where the kernel
// allows it: a step touches a hundred rows scattered over megabytes, and with 4 KiB pages nearly
// every one of them also misses the TLB.
class FloatBuffer {
 public:
  void assign_zero(size_t n);
  float* get() const { return data_.get(); }

 private:
  std::unique_ptr<float, void (*)(void*)> data_{nullptr, std::free};
};

// What a step needs to know of a row besides its numbers, in 16 bytes: one load brings it all.
struct RowState {
  std::int64_t clock = 0;   // the step it was last brought up to (deferred and sparse updates)
  std::uint32_t stamp = 0;  // the last batch that listed it
  std::int32_t slot = 0;    // its gradient's slot in that batch
};

// Lists a batch's distinct rows once each, in first-seen order, each with its gradient slot: the
// one definition every engine that gathers a batch's gradients by row uses (inlined: it runs
// for each row of each step).
class BatchRowLister {
 public:
  // Starts a batch: forgets the last one's listing (the stamps wrap after 2^32 batches).
  void begin(std::vector<RowState>& states, std::vector<std::int32_t>& rows) {
    rows.clear();
    if (++stamp_ == 0) {
      for (RowState& r : states) r.stamp = 0;
      stamp_ = 1;
    }
  }
  // The slot of `row`, listing it (and telling `listed(row, state)`, while its state is at hand)
  // the first time this batch names it.
  template <class OnListed>
  std::int32_t add(std::vector<RowState>& states, std::vector<std::int32_t>& rows, std::int32_t row,
                   OnListed&& listed) {
    RowState& r = states[static_cast<size_t>(row)];
    if (r.stamp != stamp_) {
      r.stamp = stamp_;
      r.slot = static_cast<std::int32_t>(rows.size());
      rows.push_back(row);
      listed(row, r);
    }
    return r.slot;
  }

 private:
  std::uint32_t stamp_ = 0;
};

class RowStore {
 public:
  // Rows for shape's users and items, loaded from `initial` (the seed's normal(0, 0.01) tables).
  RowStore(const ModelShape& shape, const Weights& initial);

  size_t users() const { return users_; }
  size_t rows() const { return users_ + items_; }
  size_t factors() const { return k_; }
  bool has_bias() const { return has_bias_; }
  size_t stride() const { return stride_; }  // floats in one span: the row's width in whole vectors

  float* param(size_t row) const { return state_.get() + row * 3 * stride_; }
  float* moment(size_t row) const { return param(row) + stride_; }
  float* rms(size_t row) const { return param(row) + 2 * stride_; }
  RowTable table() const { return {state_.get(), 3 * stride_, stride_}; }

  std::vector<RowState> states;  // per row

  // The tables as a model file stores them; the caller brings every row up to date first.
  Weights weights() const;

 private:
  size_t k_, users_, items_;
  bool has_bias_;
  size_t stride_;
  FloatBuffer state_;  // per row: parameters, m, sqrt(v)
};

}  // namespace collab
