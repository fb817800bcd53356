#include "pipeline/engine_factory.h"

#include "cpu/cpu_engine.h"
#include "support/error.h"
#include "train/distributed.h"
#include "pipeline/model_kinds.h"
#include "train/torch_plugin.h"

namespace collab {

void check_distribution(const TrainOptions& o, int ranks, bool checkpoint) {
  const bool shard = ranks > 1 && resolved_dist_mode(o) == DistMode::shard;
  if (shard && o.optimizer == OptimizerKind::als)
    throw usage_error("--optimizer als across processes runs --dist replicate: each rank holds the whole model and "
                      "solves its share of the rows");
  if (shard && o.optimizer != OptimizerKind::sparse_adam)
    throw usage_error("--dist shard trains with --optimizer sparse-adam; exact mode (adam) runs --dist replicate, "
                      "since its point is one process's bits and sharding changes which ratings share a step");
  if (shard && o.batch_size < ranks)
    throw usage_error("--bs " + std::to_string(o.batch_size) + " is less than the " + std::to_string(ranks) +
                      " ranks that share each batch under --dist shard");
  if (checkpoint && !shard)
    throw usage_error("--checkpoint saves the shards of sharded training (--dist shard on several ranks); "
                      "one process and --dist replicate do not checkpoint");
}

std::unique_ptr<TrainingEngine> make_engine(const EngineSetup& setup, const std::string& device,
                                            const std::string& engine) {
  const bool nn = setup.shape.arch == Arch::nn;
  const bool distributed = setup.communicator && setup.communicator->world_size() > 1;
  check_model_kind(setup.options, device, engine, distributed);
  const bool shard = distributed && resolved_dist_mode(setup.options) == DistMode::shard;
  if (!shard)
    if (auto kind = make_model_kind_engine(setup)) return kind;
  if (distributed && (nn || device == "cuda" || engine == "torch"))
    throw usage_error("training across processes runs the CPU engine (dot, dot-range, dot-bias on the CPU, Gloo); "
                      "--arch nn, --device cuda and --engine torch run in one process");
  check_distribution(setup.options, distributed ? setup.communicator->world_size() : 1, !setup.checkpoint_dir.empty());
  if (shard) return make_sharded_engine(setup);
  if (engine == "cpu" && nn)
    throw usage_error("--engine cpu trains the embedding models only; --arch nn needs --engine torch or auto");
  if (engine == "cpu" && device == "cuda")
    throw usage_error("--engine cpu runs on the CPU only; use --engine torch or auto with --device cuda");
  if (setup.options.optimizer == OptimizerKind::sparse_adam && nn)
    throw usage_error("--optimizer sparse-adam is for the embedding models; --arch nn uses adam");

  if (device == "cuda" && !torch_plugin_built_with_cuda())
    throw unavailable("--device cuda: CUDA is not available: this collab was built against a "
                      "LibTorch without CUDA (see the README's CUDA build); use --device cpu or auto");

  // Only load LibTorch when it can matter: it costs most of a second.
  const bool may_use_gpu = device == "cuda" || (device == "auto" && !distributed && torch_plugin_built_with_cuda());
  if (!nn && engine != "torch" && !may_use_gpu) return make_cpu_engine(setup);

  const TorchPlugin& torch = load_torch_plugin();
  std::string chosen = "cpu";
  if (device == "cuda") {
    if (!torch.cuda_available())
      throw unavailable("--device cuda: CUDA is not available (LibTorch " + torch.torch_version() +
                        (torch_plugin_built_with_cuda() ? ", no GPU visible" : ", built without CUDA") +
                        "); use --device cpu or auto");
    chosen = "cuda";
  } else if (device == "auto" && engine != "cpu" && torch.cuda_available()) {
    chosen = "cuda";
  }
  if (chosen == "cpu" && !nn && engine != "torch") return make_cpu_engine(setup);
  return torch.make_engine(setup, chosen);
}

}  // namespace collab
