// BPR's step on a batch of triples, one definition for the engine that trains in one process
// (bpr_engine.cpp) and for the ranks of sharded training (sharded_state.cpp): the triples' rows
// listed into the gradient table, then every triple's loss and d loss / d param.
#pragma once

#include <algorithm>
#include <cstddef>
#include <cstdint>
#include <vector>

#include "cpu/gradient_table.h"
#include "cpu/row_store.h"

namespace collab {

// A user, an item it has a positive interaction with and one it has none with, as rows of a
// RowStore (items' rows follow the users').
struct BprTriple {
  std::int32_t user, positive, negative;
};

// One triple's loss and its gradient (the unit tests hold it to finite differences): pu, qi,
// qj are k factors; with biases bi, bj. Adds d loss / d param, times `scale`, into gu, gi, gj
// (k floats each, then the bias at [k] when has_bias).
float bpr_triple(const float* pu, const float* qi, const float* qj, size_t k, bool has_bias, float bi, float bj,
                 float scale, float* gu, float* gi, float* gj);

// The triples' distinct rows into table.rows, three slots a triple into `slots` (user, positive,
// negative), the policy hearing of each row as list_batch_rows tells it (gradient_table.h).
template <class Policy>
void list_triple_rows(const std::vector<BprTriple>& triples, std::vector<RowState>& states, BatchRowLister& lister,
                      GradientTable& table, Policy& policy, std::vector<std::int32_t>& slots) {
  std::vector<std::int32_t>& rows = table.rows;
  lister.begin(states, rows);
  policy.begin(3 * triples.size());
  auto add = [&](std::int32_t row) {
    return lister.add(states, rows, row, [&policy](std::int32_t r, RowState& state) { policy.listed(r, state); });
  };
  slots.resize(3 * triples.size());
  for (size_t t = 0; t < triples.size(); ++t) {
    slots[3 * t] = add(triples[t].user);
    slots[3 * t + 1] = add(triples[t].positive);
    slots[3 * t + 2] = add(triples[t].negative);
  }
  if constexpr (Policy::kSortedRows) {
    std::sort(rows.begin(), rows.end());
    for (size_t s = 0; s < rows.size(); ++s) states[static_cast<size_t>(rows[s])].slot = static_cast<std::int32_t>(s);
    for (size_t t = 0; t < triples.size(); ++t) {
      slots[3 * t] = states[static_cast<size_t>(triples[t].user)].slot;
      slots[3 * t + 1] = states[static_cast<size_t>(triples[t].positive)].slot;
      slots[3 * t + 2] = states[static_cast<size_t>(triples[t].negative)].slot;
    }
  }
}

// Every triple's d loss / d param, times `scale`, added into its slots of `table`; returns the
// sum of the triples' losses. `vector`: sparse mode's pass by whole vectors where the processor
// has AVX2 and FMA (bpr_kernels.h), else bpr_triple's plain loops (exact mode's bits). scratch:
// resized as needed.
double bpr_triples_pass(const RowStore& store, const GradientTable& table, const std::vector<BprTriple>& triples,
                        const std::vector<std::int32_t>& slots, float scale, bool vector, std::vector<float>& scratch);

// The losses of `triples` alone, summed in their order (validation): no gradient is kept.
double bpr_triples_loss(const RowStore& store, const std::vector<BprTriple>& triples);

}  // namespace collab
