// The LibTorch engines; this header itself needs no LibTorch.
#pragma once

#include <memory>
#include <string>

#include "train/distributed.h"
#include "train/engine.h"

namespace collab::torch_backend {

// dot, dot-range and dot-bias with the same math as the CPU engine, on any LibTorch device,
// with no host synchronisation per step: losses stay on the device until the batches are done.
std::unique_ptr<TrainingEngine> make_tensor_engine(const EngineSetup& setup, const std::string& device);

// fastai's EmbeddingNN with autograd and fastai's Adam (no weight decay on BatchNorm and biases).
std::unique_ptr<TrainingEngine> make_nn_engine(const EngineSetup& setup, const std::string& device);

// c10d's TCPStore and ProcessGroupGloo as a Communicator (distributed.cpp).
std::unique_ptr<Communicator> connect_gloo(const DistributedSetup& setup);

std::string libtorch_version();
bool cuda_available();
std::string cuda_device_name();

}  // namespace collab::torch_backend
