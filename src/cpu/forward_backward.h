// The forward and backward pass of the CPU engine's embedding models: the scores of a batch's
// ratings from their users' and items' rows, the squared errors, and d loss / d param added
// into the batch's gradient slots. Kernels, with no state: the engine (embedding_engine.cpp)
// owns the rows and the slots.
#pragma once

#include <cstddef>
#include <cstdint>
#include <limits>

#include "cpu/sparse_adam.h"
#include "train/train_options.h"

namespace collab {

// One training rating, with the rows of its user and item (items' rows follow the users').
struct Example {
  std::int32_t user_row, item_row;
  float rating;
};

// What the forward and backward pass needs to know of the model and its storage.
struct ForwardModel {
  size_t k;         // factors
  bool has_bias;    // bias at [k] of each row
  bool has_range;   // sigmoid_range(z, low, low + span)
  float low, span;
  const float* params;  // row r's parameters at params + r * row_floats
  size_t row_floats;
  float* gradients;     // slot s's gradient at gradients + s * slot_floats
  size_t slot_floats;
};

// Forward and backward pass of a batch of bs ratings: d loss / d param of rating b added into
// slots slots[2b] (its user's) and slots[2b + 1] (its item's). Returns the sum of squared
// errors. dz: scratch, one per rating. The same bits on every x86-64 (no FMA): exact mode's.
double batch_forward_backward(const Example* batch, const std::int32_t* slots, size_t bs, const ForwardModel& m,
                              float* dz);

// The same for sparse mode, whose bits need not match exact mode's: with AVX2 and FMA where the
// processor has them, whole vectors throughout (rows and slots 32-byte aligned, row_floats and
// slot_floats multiples of 8); else the plain pass. Either way its sigmoids are computed eight
// at a time (vector_exp.h) rather than with libm.
double sparse_forward_backward(const Example* batch, const std::int32_t* slots, size_t bs, const ForwardModel& m,
                               float* dz, KernelPath path = KernelPath::best);

// The two halves of the pass, for training across processes (each computes its share of the
// errors, all of them then every gradient, in rating order: the bits of the whole pass).
// batch_errors: ratings[0, n) of a batch of bs: d loss / d score into dz, prediction - rating into
// diffs. batch_gradients: the whole batch's dz into the slots. `sparse`: sparse mode's kernels.
// batch_errors returns the ratings' sum of squared errors.
double batch_errors(const Example* ratings, size_t n, size_t bs, const ForwardModel& m, bool sparse, float* dz,
                    float* diffs, KernelPath path = KernelPath::best);
// Only slots in [owned_first, owned_last) are written: threads share a batch's gradients by slot,
// each slot still summed in rating order, so the bits do not depend on how many share.
void batch_gradients(const Example* batch, const std::int32_t* slots, size_t bs, const ForwardModel& m, bool sparse,
                     const float* dz, KernelPath path = KernelPath::best, std::int32_t owned_first = 0,
                     std::int32_t owned_last = std::numeric_limits<std::int32_t>::max());

// The scores (before sigmoid_range) of n validation ratings.
void validation_scores(const Example* ratings, size_t n, const ForwardModel& m, float* z);

// (prediction - rating)^2 of n validation ratings into out: a chunk's scores first, then their
// errors, the same numbers as one rating at a time with the ratings' arithmetic overlapped.
void squared_errors(const Example* ratings, size_t n, const ForwardModel& m, const ModelShape& shape, double* out);

}  // namespace collab
