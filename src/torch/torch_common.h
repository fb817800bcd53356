// Small pieces both LibTorch engines use.
#pragma once

#include <algorithm>
#include <cmath>

#include <torch/torch.h>

#include <string>
#include <vector>

#include "train/engine.h"
#include "support/error.h"

namespace collab::torch_backend {

// LibTorch reports failures as c10::Error; turn them into one-line collab errors.
template <class F>
auto guarded(F&& f) -> decltype(f()) {
  try {
    return f();
  } catch (const c10::Error& e) {
    std::string what = e.what_without_backtrace();
    if (what.find("out of memory") != std::string::npos) throw unavailable("the device ran out of memory: " + what.substr(0, 200));
    throw internal_error("LibTorch: " + what.substr(0, what.find('\n')));
  }
}

inline torch::Device to_device(const std::string& name) {
  return name == "cuda" ? torch::Device(torch::kCUDA, 0) : torch::Device(torch::kCPU);
}

// A column of the split as a tensor on the device.
inline torch::Tensor index_column(const std::vector<std::int32_t>& v, torch::Device d) {
  return torch::from_blob(const_cast<std::int32_t*>(v.data()), {static_cast<long>(v.size())}, torch::kInt32)
      .to(torch::kLong)
      .to(d);
}
inline torch::Tensor float_column(const std::vector<float>& v, torch::Device d) {
  return torch::from_blob(const_cast<float*>(v.data()), {static_cast<long>(v.size())}, torch::kFloat32).to(d);
}

// A split's columns on the device, uploaded once.
struct DeviceRatings {
  torch::Tensor user, item, rating;
  DeviceRatings(const RatingSet& r, torch::Device d)
      : user(index_column(r.user, d)), item(index_column(r.item, d)), rating(float_column(r.rating, d)) {}
};

// The mean squared error over `valid`, in chunks of `chunk` ratings (to bound the memory of the
// predictions), summed in double on the device: both LibTorch engines' validation loss.
template <class Predict>
double validation_mse_in_chunks(const DeviceRatings& valid, long chunk, torch::Device device, Predict&& predict) {
  torch::NoGradGuard no_grad;
  const long n = valid.rating.numel();
  if (n == 0) return std::nan("");
  torch::Tensor sum = torch::zeros({}, torch::TensorOptions().dtype(torch::kFloat64).device(device));
  for (long at = 0; at < n; at += chunk) {
    const long len = std::min(chunk, n - at);
    torch::Tensor pred = predict(valid.user.narrow(0, at, len), valid.item.narrow(0, at, len));
    sum += (pred - valid.rating.narrow(0, at, len)).pow(2).sum().to(torch::kFloat64);
  }
  return sum.item<double>() / static_cast<double>(n);
}

inline NamedTensor to_named(const std::string& name, const torch::Tensor& t) {
  torch::Tensor c = t.detach().to(torch::kCPU, torch::kFloat32).contiguous();
  NamedTensor n{name, std::vector<std::int64_t>(c.sizes().begin(), c.sizes().end()), {}};
  n.values.assign(c.data_ptr<float>(), c.data_ptr<float>() + c.numel());
  return n;
}

inline torch::Tensor from_named(const NamedTensor& n, torch::Device d) {
  return torch::from_blob(const_cast<float*>(n.values.data()), n.shape, torch::kFloat32).clone().to(d);
}

// Host vector of the losses recorded on the device: one synchronisation per call.
inline std::vector<float> losses_to_host(const std::vector<torch::Tensor>& losses) {
  if (losses.empty()) return {};
  torch::Tensor all = torch::stack(losses).to(torch::kCPU, torch::kFloat32).contiguous();
  return std::vector<float>(all.data_ptr<float>(), all.data_ptr<float>() + all.numel());
}

// A slice of the epoch's batch order, uploaded once per call.
inline torch::Tensor order_on_device(const std::int32_t* order, size_t n, torch::Device d) {
  return torch::from_blob(const_cast<std::int32_t*>(order), {static_cast<long>(n)}, torch::kInt32)
      .to(torch::kLong)
      .to(d);
}

}  // namespace collab::torch_backend
