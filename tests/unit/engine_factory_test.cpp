// The engine factory (pipeline/engine_factory.h): which engine each request for an architecture,
// optimizer, device and engine gets, and which requests it refuses with which exit code and
// message. Engines are told apart by what they report as their device; none of these requests
// loads LibTorch (the nn architecture's engines are tests/torch's).
#include <gtest/gtest.h>

#include <string>

#include "test_support.h"
#include "train/distributed.h"
#include "pipeline/engine_factory.h"
#include "train/torch_plugin.h"

namespace collab {
namespace {

using test_support::expect_error;

constexpr int kUsers = 30, kItems = 40;

struct Request {
  EncodedRatings data = test_support::synthetic_ratings(kUsers, kItems, 0.3, 3);
  TrainValidSplit split = random_split(data, 0.2, 1);
  EngineSetup setup;
  explicit Request(Arch arch) {
    setup = test_support::synthetic_setup(split, arch, kUsers, kItems, 4, 1);
    setup.options.model.arch = arch;
  }
};

std::string engine_for(Request& r, const std::string& device = "auto", const std::string& engine = "auto") {
  return make_engine(r.setup, device, engine)->device_name();
}

// Two processes as far as the factory can tell; it only asks for the world's size.
class TwoRanks final : public Communicator {
 public:
  int rank() const override { return 0; }
  int world_size() const override { return 2; }
  void allgather(const float*, size_t, float*) override {}
  void barrier() override {}
  Traffic traffic() const override { return {}; }
};

bool starts_with(const std::string& s, const std::string& prefix) { return s.rfind(prefix, 0) == 0; }

TEST(EngineFactory, EmbeddingModelsOnTheCpuGetTheHandWrittenCpuEngine) {
  if (torch_plugin_built_with_cuda()) GTEST_SKIP() << "a CUDA build's auto device looks for a GPU";
  for (Arch arch : {Arch::dot, Arch::dot_range, Arch::dot_bias})
    for (const char* device : {"auto", "cpu"})
      for (const char* engine : {"auto", "cpu"}) {
        Request r(arch);
        const std::string name = engine_for(r, device, engine);
        EXPECT_TRUE(starts_with(name, "cpu (deferred exact updates, ")) << arch_name(arch) << " " << device << " "
                                                                         << engine << ": " << name;
      }
}

TEST(EngineFactory, TheOptimizerChoosesTheCpuEnginesUpdatePolicy) {
  Request exact(Arch::dot_bias);
  exact.setup.options.defer_exact_updates = false;
  EXPECT_TRUE(starts_with(engine_for(exact, "cpu"), "cpu (every row every step, ")) << engine_for(exact, "cpu");
  Request sparse(Arch::dot_bias);
  sparse.setup.options.optimizer = OptimizerKind::sparse_adam;
  EXPECT_TRUE(starts_with(engine_for(sparse, "cpu"), "cpu (sparse updates, ")) << engine_for(sparse, "cpu");
}

TEST(EngineFactory, TheThreadsAskedForAreTheThreadsTheEngineRuns) {
  Request r(Arch::dot_bias);
  r.setup.options.threads = 3;
  EXPECT_EQ(engine_for(r, "cpu"), "cpu (deferred exact updates, 3 threads)");
  r.setup.options.threads = 1;
  EXPECT_EQ(engine_for(r, "cpu"), "cpu (deferred exact updates, 1 thread)");
}

TEST(EngineFactory, EachModelKindGetsItsOwnEngine) {
  Request popularity(Arch::popularity);
  EXPECT_EQ(engine_for(popularity), "cpu (counting)");
  Request baseline(Arch::baseline);
  EXPECT_EQ(engine_for(baseline), "cpu (baseline ALS)");
  Request als(Arch::dot);
  als.setup.options.model.implicit = als.setup.shape.implicit = true;
  als.setup.options.optimizer = OptimizerKind::als;
  EXPECT_TRUE(starts_with(engine_for(als), "cpu (implicit ALS, ")) << engine_for(als);
  Request bpr(Arch::dot_bias);
  bpr.setup.options.model.implicit = bpr.setup.shape.implicit = true;
  bpr.setup.options.loss = Loss::bpr;
  EXPECT_TRUE(starts_with(engine_for(bpr), "cpu (BPR, ")) << engine_for(bpr);
}

// The refusal for `r` at device/engine: its exit code, and its message contains `names`.
void expect_refused(Request& r, const std::string& device, const std::string& engine, ExitCode code,
                    const std::string& names) {
  const Error e = expect_error([&] { make_engine(r.setup, device, engine); });
  EXPECT_EQ(e.code(), code) << e.what();
  EXPECT_NE(std::string(e.what()).find(names), std::string::npos) << "'" << e.what() << "' lacks '" << names << "'";
}

TEST(EngineFactory, CombinationsThatCannotWorkAreUsageErrorsNamingTheOptions) {
  Request nn(Arch::nn);
  expect_refused(nn, "auto", "cpu", ExitCode::usage, "--engine cpu trains the embedding models only");
  nn.setup.options.optimizer = OptimizerKind::sparse_adam;
  expect_refused(nn, "auto", "auto", ExitCode::usage, "--optimizer sparse-adam is for the embedding models");
  Request dot(Arch::dot);
  expect_refused(dot, "cuda", "cpu", ExitCode::usage, "--engine cpu runs on the CPU only");
  Request popularity(Arch::popularity);
  expect_refused(popularity, "cuda", "auto", ExitCode::usage, "--arch popularity with these options trains on the CPU");
  Request baseline(Arch::baseline);
  expect_refused(baseline, "auto", "torch", ExitCode::usage, "--arch baseline with these options trains on the CPU");
  Request bpr(Arch::dot_bias);
  bpr.setup.options.loss = Loss::bpr;
  expect_refused(bpr, "auto", "auto", ExitCode::usage, "--loss bpr ranks interactions: it needs --implicit");
  Request als(Arch::dot_bias);
  als.setup.options.optimizer = OptimizerKind::als;
  expect_refused(als, "auto", "auto", ExitCode::usage, "--optimizer als fits --arch dot");
}

TEST(EngineFactory, SeveralProcessesTrainOnlyTheCpuEmbeddingEngine) {
  TwoRanks ranks;
  Request nn(Arch::nn);
  nn.setup.communicator = &ranks;
  expect_refused(nn, "auto", "auto", ExitCode::usage, "training across processes runs the CPU engine");
  Request torch(Arch::dot_bias);
  torch.setup.communicator = &ranks;
  expect_refused(torch, "cpu", "torch", ExitCode::usage, "training across processes runs the CPU engine");
  Request popularity(Arch::popularity);
  popularity.setup.communicator = &ranks;
  expect_refused(popularity, "auto", "auto", ExitCode::usage, "trains in one process (no --nproc)");
  Request dot(Arch::dot);
  dot.setup.communicator = &ranks;
  EXPECT_TRUE(starts_with(engine_for(dot), "cpu (deferred exact updates, ")) << engine_for(dot);
  // BPR shards with sparse-adam; exact Adam's BPR has no replicated engine.
  Request bpr(Arch::dot_bias);
  bpr.setup.communicator = &ranks;
  bpr.setup.options.loss = Loss::bpr;
  bpr.setup.options.model.implicit = true;
  expect_refused(bpr, "auto", "auto", ExitCode::usage, "--loss bpr trains across processes sharded");
  bpr.setup.options.optimizer = OptimizerKind::sparse_adam;
  bpr.setup.options.dist = DistMode::replicate;
  expect_refused(bpr, "auto", "auto", ExitCode::usage, "--loss bpr trains across processes sharded");
}

TEST(EngineFactory, SparseAdamShardsAcrossRanksAndExactModeReplicates) {
  TwoRanks ranks;
  Request sparse(Arch::dot_bias);
  sparse.setup.communicator = &ranks;
  sparse.setup.options.optimizer = OptimizerKind::sparse_adam;
  EXPECT_TRUE(starts_with(engine_for(sparse), "cpu (sparse updates, sharded over 2 ranks")) << engine_for(sparse);
  sparse.setup.options.dist = DistMode::replicate;
  EXPECT_TRUE(starts_with(engine_for(sparse), "cpu (sparse updates, 1 thread)")) << engine_for(sparse);
  Request exact(Arch::dot_bias);
  exact.setup.communicator = &ranks;
  exact.setup.options.dist = DistMode::shard;
  expect_refused(exact, "auto", "auto", ExitCode::usage, "--dist shard trains with --optimizer sparse-adam");
  Request one(Arch::dot_bias);
  one.setup.checkpoint_dir = "/nonexistent";
  expect_refused(one, "auto", "auto", ExitCode::usage, "--checkpoint saves the shards of sharded training");
}

TEST(EngineFactory, CudaInABuildWithoutItIsUnavailableWithAdvice) {
  if (torch_plugin_built_with_cuda()) GTEST_SKIP() << "this build has CUDA";
  for (Arch arch : {Arch::dot_bias, Arch::nn}) {
    Request r(arch);
    expect_refused(r, "cuda", "auto", ExitCode::unavailable, "CUDA is not available");
    expect_refused(r, "cuda", "torch", ExitCode::unavailable, "use --device cpu or auto");
  }
}

}  // namespace
}  // namespace collab
