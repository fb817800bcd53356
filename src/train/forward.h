// Each embedding architecture's forward pass for one rating, defined once: what the reading verbs
// predict (model/interpret.cpp) and what the CPU engine's validation scores. The engines' batch
// kernels compute the same in their own layouts (cpu/forward_backward.cpp, vectorised and with
// the gradient; torch/ with tensors), and tests hold them equal: CpuEngine.
// ValidationLossIsTheForwardDefinitionsLoss, TensorEngine.*, NnEngine.*.
#pragma once

#include <cmath>
#include <cstddef>

#include "train/train_options.h"

namespace collab {

// fastai's sigmoid_range: lo + (hi - lo) * sigmoid(z).
inline float sigmoid_range(float z, float lo, float hi) { return lo + (hi - lo) / (1.0f + std::exp(-z)); }

// The prediction from the score z (dot product, plus the biases for dot-bias): sigmoid_range
// for dot-range and dot-bias, z itself for dot.
inline float embedding_output(const ModelShape& s, float z) {
  return s.has_range() ? sigmoid_range(z, s.y_low, s.y_high) : z;
}

// dot, dot-range, dot-bias: user . item (+ user_bias + item_bias), through embedding_output.
inline float embedding_prediction(const ModelShape& s, const float* user, const float* item, size_t k,
                                  float user_bias, float item_bias) {
  float z = 0;
  for (size_t j = 0; j < k; ++j) z += user[j] * item[j];
  if (s.has_bias()) z += user_bias + item_bias;
  return embedding_output(s, z);
}

// d (squared error) / d z for one rating of score z in a batch of `divisor` ratings, with the
// arithmetic of the CPU engine's backward pass (cpu/forward_backward.cpp, errors_body's plain
// path): what the new-user fit (model/new_user.cpp) steps by.
inline float squared_error_slope(const ModelShape& s, float z, float rating, float divisor) {
  float pred = z, dpred_dz = 1.0f;
  if (s.has_range()) {
    const float sig = 1.0f / (1.0f + std::exp(-z)), span = s.y_high - s.y_low;
    pred = s.y_low + span * sig;
    dpred_dz = span * sig * (1.0f - sig);
  }
  return 2.0f * (pred - rating) / divisor * dpred_dz;
}

}  // namespace collab
