// The forward and backward pass: sparse mode's vector code against the plain pass.
#include "cpu/forward_backward.h"
#include "train/forward.h"

#include <gtest/gtest.h>

#include <cmath>
#include <cstdlib>
#include <memory>
#include <vector>

namespace collab {
namespace {

struct Case {
  size_t k;
  bool bias, range;
};

// A table of 6 rows (3 users, 3 items) and 5 ratings, one user twice and one item twice, run
// through both passes; the losses and the gradient slots must agree to float rounding.
void expect_same_pass(const Case& c) {
  const size_t width = c.k + (c.bias ? 1 : 0), stride = (width + 7) / 8 * 8, row_floats = 3 * stride;
  auto aligned = [](size_t n) {
    float* p = static_cast<float*>(std::aligned_alloc(32, ((n * sizeof(float) + 31) / 32) * 32));
    for (size_t i = 0; i < n; ++i) p[i] = 0.0f;
    return std::unique_ptr<float, void (*)(void*)>(p, std::free);
  };
  auto params = aligned(6 * row_floats);
  for (size_t r = 0; r < 6; ++r)
    for (size_t j = 0; j < width; ++j)  // the padding stays zero, as in the engine
      params.get()[r * row_floats + j] = 0.3f * std::sin(static_cast<float>(7 * r + j));
  const std::vector<Example> batch = {{0, 3, 4.0f}, {1, 4, 2.5f}, {0, 5, 1.0f}, {2, 3, 5.0f}, {1, 5, 3.5f}};
  const std::vector<std::int32_t> slots = {0, 1, 2, 3, 0, 4, 5, 1, 2, 4};  // users 0..2 -> 0, 2, 5
  auto run = [&](KernelPath path, std::vector<float>& gradients_out) {
    auto gradients = aligned(6 * stride);
    ForwardModel m{c.k, c.bias, c.range, 0.0f, 5.5f, params.get(), row_floats, gradients.get(), stride};
    std::vector<float> dz(batch.size());
    const double loss = sparse_forward_backward(batch.data(), slots.data(), batch.size(), m, dz.data(), path);
    gradients_out.assign(gradients.get(), gradients.get() + 6 * stride);
    return loss;
  };
  std::vector<float> vector_gradients, plain_gradients;
  const double vector_loss = run(KernelPath::best, vector_gradients);
  const double plain_loss = run(KernelPath::portable, plain_gradients);
  EXPECT_NEAR(vector_loss, plain_loss, 1e-5 * plain_loss) << "k " << c.k;
  for (size_t i = 0; i < plain_gradients.size(); ++i) {
    EXPECT_NEAR(vector_gradients[i], plain_gradients[i], 1e-6) << "k " << c.k << " at " << i;
    if (i % stride >= width) {
      EXPECT_EQ(vector_gradients[i], 0.0f) << "padding at " << i;
    }
  }
  if (c.bias) {
    EXPECT_NE(plain_gradients[c.k], 0.0f);  // the bias has a gradient to compare
  }
}

TEST(ForwardBackward, SparseVectorPassMatchesThePlainOne) {
  for (const Case& c : {Case{50, true, true}, Case{8, true, true}, Case{7, true, false}, Case{5, false, false},
                        Case{16, false, true}})
    expect_same_pass(c);
}

}  // namespace
}  // namespace collab

namespace collab {
namespace {

// The new-user fit (model/new_user.cpp) steps by train/forward.h's squared_error_slope: the same
// bits as exact mode's backward pass, for dot (no range) and dot-bias (sigmoid_range).
TEST(ForwardBackward, SquaredErrorSlopeIsExactModesBackwardPass) {
  for (const bool bias_and_range : {false, true}) {
    const size_t k = 5, row_floats = k + (bias_and_range ? 1 : 0);
    std::vector<float> params(6 * row_floats);
    for (size_t i = 0; i < params.size(); ++i) params[i] = 0.4f * std::cos(static_cast<float>(3 * i + 1));
    const std::vector<Example> batch = {{0, 3, 4.0f}, {1, 4, 2.5f}, {2, 5, 0.5f}, {0, 4, 5.0f}};
    ForwardModel m{k, bias_and_range, bias_and_range, 0.0f, 5.5f, params.data(), row_floats, nullptr, 0};
    std::vector<float> z(batch.size()), dz(batch.size()), diffs(batch.size());
    validation_scores(batch.data(), batch.size(), m, z.data());
    batch_errors(batch.data(), batch.size(), batch.size(), m, /*sparse=*/false, dz.data(), diffs.data());
    ModelShape shape;
    shape.arch = bias_and_range ? Arch::dot_bias : Arch::dot;
    for (size_t b = 0; b < batch.size(); ++b)
      EXPECT_EQ(squared_error_slope(shape, z[b], batch[b].rating, static_cast<float>(batch.size())), dz[b])
          << "rating " << b << (bias_and_range ? " dot-bias" : " dot");
  }
}

}  // namespace
}  // namespace collab
