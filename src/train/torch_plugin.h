// The LibTorch backend lives in a plugin (libcollab_torch.so) that `collab` loads only when a run
// needs it: the nn architecture, CUDA, or --engine torch. Loading LibTorch costs most of a second
// and 160 MiB before anything runs, which the reading verbs and the CPU trainer never pay.
#pragma once

#include <memory>
#include <string>

#include "train/distributed.h"
#include "train/engine.h"

namespace collab {

constexpr int kTorchPluginAbi = 2;

struct TorchPlugin {
  int abi;                             // kTorchPluginAbi of the build that made the plugin
  std::string (*torch_version)();
  bool (*cuda_available)();
  std::string (*cuda_device_name)();
  // device: "cpu" or "cuda". Embedding models start from setup.initial; nn initialises itself.
  std::unique_ptr<TrainingEngine> (*make_engine)(const EngineSetup& setup, const std::string& device);
  // c10d over Gloo: joins the ranks `setup` describes (train/distributed.h).
  std::unique_ptr<Communicator> (*connect)(const DistributedSetup& setup);
};

// The plugin beside the executable (or $COLLAB_TORCH_PLUGIN); throws ExitCode::unavailable with
// the reason when it cannot be loaded.
const TorchPlugin& load_torch_plugin();

// Whether this build's plugin was compiled against a LibTorch with CUDA (known without loading it).
bool torch_plugin_built_with_cuda();

}  // namespace collab
