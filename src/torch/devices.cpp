#include <torch/torch.h>

#include "torch_engines.h"
#ifdef COLLAB_TORCH_CUDA
#include <ATen/cuda/CUDAContext.h>
#endif

namespace collab::torch_backend {

std::string libtorch_version() {
  return std::to_string(TORCH_VERSION_MAJOR) + "." + std::to_string(TORCH_VERSION_MINOR) + "." +
         std::to_string(TORCH_VERSION_PATCH);
}

bool cuda_available() { return torch::cuda::is_available(); }

std::string cuda_device_name() {
#ifdef COLLAB_TORCH_CUDA
  if (cuda_available()) return std::string("cuda:0 (") + at::cuda::getCurrentDeviceProperties()->name + ")";
#endif
  return "cuda:0";
}

}  // namespace collab::torch_backend
