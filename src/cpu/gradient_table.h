// The seam between a batch's gradient and its update. The forward and backward pass adds each
// rating's d loss / d param into the slots of its user's and item's rows; an update policy then
// applies the table. Everything an update needs is here. Across processes each rank fills the
// whole batch's table itself from the ratings' errors that the ranks exchange (train/distributed.h);
// tables are never exchanged.
#pragma once

#include <immintrin.h>

#include <algorithm>
#include <cstddef>
#include <cstdint>
#include <vector>

#include "cpu/forward_backward.h"
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

// The batch's distinct rows into `table`, with each rating's two slots; the policy hears of each
// row as it is first listed, while its state is at hand (update_policies.h). Policy::kSortedRows:
// the rows in increasing order, the slots renumbered to match.
template <class Policy>
void list_batch_rows(const Example* batch, size_t bs, std::vector<RowState>& states, BatchRowLister& lister,
                     GradientTable& table, Policy& policy) {
  std::vector<std::int32_t>& rows = table.rows;
  std::vector<std::int32_t>& slots = table.slots;
  lister.begin(states, rows);
  policy.begin(2 * bs);
  auto add = [&](std::int32_t row) {
    return lister.add(states, rows, row, [&policy](std::int32_t r, RowState& state) { policy.listed(r, state); });
  };
  constexpr size_t kAhead = 8;  // ratings: the row states are scattered over a few hundred KiB
  for (size_t b = 0; b < bs; ++b) {
    if (b + kAhead < bs) {
      auto state_of = [&](std::int32_t row) { return reinterpret_cast<const char*>(&states[static_cast<size_t>(row)]); };
      _mm_prefetch(state_of(batch[b + kAhead].user_row), _MM_HINT_T0);
      _mm_prefetch(state_of(batch[b + kAhead].item_row), _MM_HINT_T0);
    }
    slots[2 * b] = add(batch[b].user_row);
    slots[2 * b + 1] = add(batch[b].item_row);
  }
  if constexpr (Policy::kSortedRows) {
    std::sort(rows.begin(), rows.end());
    for (size_t s = 0; s < rows.size(); ++s) states[static_cast<size_t>(rows[s])].slot = static_cast<std::int32_t>(s);
    for (size_t b = 0; b < bs; ++b) {
      slots[2 * b] = states[static_cast<size_t>(batch[b].user_row)].slot;
      slots[2 * b + 1] = states[static_cast<size_t>(batch[b].item_row)].slot;
    }
  }
}

}  // namespace collab
