// The seam between a batch's gradient and its update. The forward and backward pass adds each
// rating's d loss / d param into the slots of its user's and item's rows; an update policy then
// applies the table. Everything an update needs is here. Across processes each rank fills the
// whole batch's table itself from the ratings' errors that the ranks exchange (train/distributed.h);
// tables are never exchanged.
#pragma once

#include <cstddef>
#include <cstdint>
#include <vector>

#include "cpu/row_store.h"

namespace collab {

class GradientTable {
 public:
  // Room for a batch of `batch_size` ratings on rows of `stride` floats (zeroed when it grows;
  // the update zeroes the slots it applies).
  void size_for(size_t batch_size, size_t stride) {
    stride_ = stride;
    if (capacity_ < 2 * batch_size) {
      capacity_ = 2 * batch_size;
      gradients_.assign_zero(capacity_ * stride_);
    }
    slots.resize(2 * batch_size);
  }

  std::vector<std::int32_t> rows;   // the batch's distinct rows; row s has its gradient in slot s
  std::vector<std::int32_t> slots;  // per rating b: slots[2b] its user's, slots[2b + 1] its item's

  float* gradient(size_t slot) const { return gradients_.get() + slot * stride_; }
  float* gradients() const { return gradients_.get(); }
  size_t stride() const { return stride_; }

 private:
  FloatBuffer gradients_;
  size_t capacity_ = 0;
  size_t stride_ = 0;
};

}  // namespace collab
