// BPR's batch pass for sparse mode (cpu/bpr_engine.h): every triple's score, loss and gradient
// with AVX2 and FMA, rows as whole vectors (as sparse mode's rating pass, forward_backward.h),
// its sigmoids and losses eight triples at a time. Exact mode keeps bpr_triple's plain loops.
#pragma once

#include <cstddef>
#include <cstdint>

namespace collab {

// What the pass reads and writes: row r's parameters at params + r * row_floats (32-byte
// aligned; span floats, the bias at [k] when has_bias, zero padding after); slot s's gradient
// at gradients + s * span.
struct BprRows {
  const float* params;
  size_t row_floats, span, k;
  bool has_bias;
  float* gradients;
};

// Triple t's rows are rows[3t] (user), rows[3t + 1] (positive), rows[3t + 2] (negative), their
// gradients' slots slots[3t..3t + 2]. Adds d loss / d param times `scale` into the slots, each
// slot's sum in triple order; returns the sum of the n losses. x: scratch, n + 8 floats. Needs
// AVX2 and FMA (use_avx2).
double bpr_batch_avx2(const BprRows& m, const std::int32_t* rows, const std::int32_t* slots, size_t n, float scale,
                      float* x);

}  // namespace collab
