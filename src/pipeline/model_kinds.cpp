#include "pipeline/model_kinds.h"

#include <cmath>

#include "cpu/bpr_engine.h"
#include "cpu/implicit_als.h"
#include "support/error.h"
#include "cpu/baseline_only.h"
#include "cpu/popularity.h"

namespace collab {
namespace {

bool new_kind(const TrainOptions& o) {
  return o.model.arch == Arch::popularity || o.model.arch == Arch::baseline || o.model.implicit || o.loss == Loss::bpr ||
         o.optimizer == OptimizerKind::als;
}

}  // namespace

void check_model_kind(const TrainOptions& o, const std::string& device, const std::string& engine, bool distributed) {
  const std::string arch = "--arch " + arch_name(o.model.arch);
  if (o.negatives < 1) throw usage_error("--negatives must be at least 1, got " + std::to_string(o.negatives));
  if (!std::isfinite(o.alpha) || o.alpha < 0) throw usage_error("--alpha must be a finite number >= 0");
  if (o.cg_steps < 1) throw usage_error("--cg-steps must be at least 1");
  if (!std::isfinite(o.positive_rating)) throw usage_error("--positive-rating must be a finite number");
  if (o.loss == Loss::bpr) {
    if (!o.model.implicit) throw usage_error("--loss bpr ranks interactions: it needs --implicit");
    if (o.model.arch != Arch::dot && o.model.arch != Arch::dot_bias)
      throw usage_error("--loss bpr trains --arch dot or dot-bias, not " + arch);
    if (o.optimizer == OptimizerKind::als)
      throw usage_error("--loss bpr trains with --optimizer adam or sparse-adam, not als");
  }
  if (o.optimizer == OptimizerKind::als && o.model.arch != Arch::baseline) {
    if (o.model.arch != Arch::dot)
      throw usage_error("--optimizer als fits --arch dot with --implicit (weighted ALS) or --arch baseline, not " + arch);
    if (!o.model.implicit) throw usage_error("--optimizer als fits --arch dot with --implicit only (explicit ALS is not built)");
  }
  if (o.model.arch == Arch::baseline && o.model.implicit)
    throw usage_error("--arch baseline predicts ratings: it takes no --implicit");
  if (o.model.implicit && o.loss != Loss::bpr && o.optimizer != OptimizerKind::als && o.model.arch != Arch::popularity)
    throw usage_error("--implicit needs --loss bpr, --optimizer als or --arch popularity");
  if (!new_kind(o)) return;
  // BPR shards as sparse-adam's rating loss does (cpu/block_negatives.h); implicit ALS divides its
  // solves between ranks that each hold the whole model (cpu/implicit_als.cpp); the rest train whole.
  const bool sharded_bpr = o.loss == Loss::bpr && resolved_dist_mode(o) == DistMode::shard;
  const bool divided_als = o.optimizer == OptimizerKind::als && o.model.arch == Arch::dot &&
                           resolved_dist_mode(o) == DistMode::replicate;
  if (distributed && o.loss == Loss::bpr && !sharded_bpr)
    throw usage_error("--loss bpr trains across processes sharded (--dist shard, --optimizer sparse-adam); "
                      "with exact Adam it trains in one process (no --nproc)");
  if (distributed && o.optimizer == OptimizerKind::als && o.model.arch == Arch::dot && !divided_als)
    throw usage_error("--optimizer als across processes runs --dist replicate: each rank holds the whole model "
                      "and solves its share of the rows");
  if (distributed && !sharded_bpr && !divided_als)
    throw usage_error(arch + " with these options trains in one process (no --nproc)");
  if (device == "cuda" || engine == "torch")
    throw usage_error(arch + " with these options trains on the CPU engine: --device cpu or auto, --engine cpu or auto");
}

std::unique_ptr<TrainingEngine> make_model_kind_engine(const EngineSetup& setup) {
  const TrainOptions& o = setup.options;
  if (o.model.arch == Arch::popularity) return make_popularity_engine(setup);
  if (o.model.arch == Arch::baseline) return make_baseline_engine(setup);
  if (o.optimizer == OptimizerKind::als) return make_implicit_als_engine(setup);
  if (o.loss == Loss::bpr) return make_bpr_engine(setup);
  return nullptr;
}

}  // namespace collab
