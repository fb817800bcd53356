#include "cpu/epoch_layout.h"

#include <immintrin.h>

#include <algorithm>
#include <new>

namespace collab {

std::vector<Example> examples_of(const RatingSet& set, size_t users) {
  std::vector<Example> out(set.size());
  for (size_t r = 0; r < set.size(); ++r)
    out[r] = {set.user[r], static_cast<std::int32_t>(users) + set.item[r], set.rating[r]};
  return out;
}

EpochLayout::EpochLayout(const RatingSet& train, size_t users) : examples_(examples_of(train, users)) {}

void EpochLayout::prepare(const std::int32_t* order, size_t n) {
  constexpr size_t kBudgetBytes = size_t{128} << 20;
  if (2 * n * sizeof(Example) > kBudgetBytes) return;
  PreparedEpoch& epoch = prepared_epochs_[next_prepared_];
  next_prepared_ ^= 1;  // the other one may be training now
  epoch.order.store(nullptr, std::memory_order_release);
  try {
    epoch.examples.resize(n);
  } catch (const std::bad_alloc&) {
    return;  // the steps gather for themselves
  }
  gather(order, n, epoch.examples.data());
  epoch.n = n;
  epoch.order.store(order, std::memory_order_release);
}

void EpochLayout::forget() {
  for (PreparedEpoch& epoch : prepared_epochs_) {
    epoch.order.store(nullptr, std::memory_order_release);
    std::vector<Example>().swap(epoch.examples);
  }
}

void EpochLayout::begin_pass(const std::int32_t* order, size_t n_batches, size_t bs, StepPool* pool, int threads) {
  order_ = order;
  pool_ = pool;
  threads_ = threads;
  n_batches_ = n_batches;
  bs_ = bs;
  prepared_ = prepared_ratings(order, n_batches * bs);
}

const Example* EpochLayout::batch(size_t b) {
  if (prepared_) return prepared_ + b * bs_;
  if (b % kGatheredBatches == 0) {  // independent loads, which the processor overlaps
    const size_t last = std::min(n_batches_, b + kGatheredBatches);
    gathered_.resize((last - b) * bs_);
    const size_t n = gathered_.size();
    auto gather_part = [&](int part, int parts) {
      const size_t from = n * static_cast<size_t>(part) / static_cast<size_t>(parts);
      const size_t to = n * static_cast<size_t>(part + 1) / static_cast<size_t>(parts);
      gather(order_ + b * bs_ + from, to - from, gathered_.data() + from);
    };
    if (pool_) pool_->run(threads_, gather_part);
    else gather_part(0, 1);
  }
  return gathered_.data() + (b % kGatheredBatches) * bs_;
}

void EpochLayout::gather(const std::int32_t* order, size_t n, Example* out) const {
  constexpr size_t kAhead = 16;
  for (size_t r = 0; r < n; ++r) {
    if (r + kAhead < n)
      _mm_prefetch(reinterpret_cast<const char*>(&examples_[static_cast<size_t>(order[r + kAhead])]), _MM_HINT_T0);
    out[r] = examples_[static_cast<size_t>(order[r])];
  }
}

const Example* EpochLayout::prepared_ratings(const std::int32_t* order, size_t n) const {
  for (const PreparedEpoch& epoch : prepared_epochs_) {
    const std::int32_t* first = epoch.order.load(std::memory_order_acquire);
    if (first && order >= first && order + n <= first + epoch.n) return epoch.examples.data() + (order - first);
  }
  return nullptr;
}

}  // namespace collab
