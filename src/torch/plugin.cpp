// The entry point `collab` finds with dlsym after loading libcollab_torch.so.
#include "train/torch_plugin.h"
#include "torch_engines.h"

namespace {

std::unique_ptr<collab::TrainingEngine> make(const collab::EngineSetup& setup, const std::string& device) {
  if (setup.shape.arch == collab::Arch::nn) return collab::torch_backend::make_nn_engine(setup, device);
  return collab::torch_backend::make_tensor_engine(setup, device);
}

const collab::TorchPlugin kPlugin{collab::kTorchPluginAbi, collab::torch_backend::libtorch_version,
                                  collab::torch_backend::cuda_available,
                                  collab::torch_backend::cuda_device_name, make,
                                  collab::torch_backend::connect_gloo};

}  // namespace

extern "C" __attribute__((visibility("default"))) const collab::TorchPlugin* collab_torch_plugin() {
  return &kPlugin;
}
