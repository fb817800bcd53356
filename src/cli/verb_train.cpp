// `collab train`: wiring around the pipeline (pipeline/pipeline.h), the epoch table and the outputs.
#include <cmath>
#include <cstdio>
#include <filesystem>
#include <optional>

#include "cli/plot.h"
#include "common_options.h"
#include "model/model_file.h"
#include "pipeline/engine_factory.h"
#include "pipeline/rank_local.h"
#include "output.h"
#include "support/error.h"
#include "support/files.h"
#include "support/interrupt.h"
#include "launcher.h"
#include "train/distributed.h"
#include "train/torch_plugin.h"
#include "training_options.h"
#include "verbs.h"

namespace collab::cli {
namespace {

struct TrainVerbOptions {
  TrainingCommandOptions training;
  std::string model, format, plot, checkpoint;
  int nproc = 1;
  int dist_timeout = 60;
};

void draw_progress(int epoch, int epochs, size_t done, size_t total, double loss) {
  const int width = 30;
  const int filled = static_cast<int>(static_cast<double>(width) * static_cast<double>(done) /
                                      static_cast<double>(total));
  std::fprintf(stderr, "\r  epoch %d/%d [%s%s] %zu/%zu  loss %.4f ", epoch + 1, epochs,
               std::string(static_cast<size_t>(filled), '#').c_str(),
               std::string(static_cast<size_t>(width - filled), ' ').c_str(), done, total, loss);
}

// `ratings`: valid_loss is a mean squared error, so its root is an RMSE (not for BPR's loss).
void print_epoch(const EpochRecord& e, bool table, bool ratings) {
  if (stderr_is_terminal()) std::fprintf(stderr, "\r\033[K");
  if (table) {
    char line[128];
    std::snprintf(line, sizeof line, "%-5d  %-10.6f  %-10.6f  %.2fs", e.epoch, e.train_loss, e.valid_loss, e.seconds);
    print_line(line);
  } else {
    print_json({{"epoch", e.epoch}, {"train_loss", e.train_loss}, {"valid_loss", e.valid_loss},
                {"seconds", e.seconds}, {"rmse", ratings ? nlohmann::json(std::sqrt(e.valid_loss)) : nlohmann::json(nullptr)}, {"lr", e.lr}});
  }
}

// The communicator of a run across processes (none in one process); a usage error for inputs
// every rank cannot read for itself.
std::unique_ptr<Communicator> connect_ranks(const TrainVerbOptions& o, const DistributedSetup& dist,
                                            const TrainingRequest& request) {
  if (o.nproc > 1 || dist.active()) require_file_inputs(request);
  std::unique_ptr<Communicator> communicator;
  if (dist.active()) communicator = load_torch_plugin().connect(dist);
  return communicator;
}

void report_traffic(Communicator& communicator, bool lead) {
  communicator.barrier();  // every rank finished the last epoch
  const Communicator::Traffic t = communicator.traffic();
  if (lead && t.calls > 0)
    std::fprintf(stderr, "collab: %d ranks; rank 0 sent %.0f bytes in %llu exchanges, %.3f ms each on average\n",
                 communicator.world_size(), static_cast<double>(t.bytes_sent), static_cast<unsigned long long>(t.calls),
                 1000.0 * t.seconds / static_cast<double>(t.calls));
}

// Sharding divides the work but adds a block exchange per sub-epoch and LibTorch's start (1.5 s):
// on small data it only slows a run down (docs/distributed.md has the measurements).
void warn_where_sharding_does_not_pay(const PreparedTraining& run, const TrainingRequest& request) {
  if (resolved_dist_mode(request.options) != DistMode::shard) return;
  if (request.options.loss == Loss::bpr) {
    // BPR's step is heavier (--negatives triples a rating): its epochs pay sooner.
    constexpr size_t kBprPaysFrom = 100'000;
    if (run.train_ratings() < kBprPaysFrom)
      std::fprintf(stderr,
                   "collab: warning: sharding BPR on %zu training ratings will not beat one process (measured, 2 "
                   "ranks against one thread: ml-latest-small's 80k, epochs 1.2x faster, the whole run 1.3x slower; "
                   "20M 2.2x faster)\n",
                   run.train_ratings());
    return;
  }
  // Training ratings; measured on 2 ranks: 80k 2x slower, 0.8M 1.2x slower, 4M 1.6x faster.
  constexpr size_t kPaysFrom = 2'000'000;
  if (run.train_ratings() >= kPaysFrom) return;
  std::fprintf(stderr,
               "collab: warning: sharding %zu training ratings will not beat one process (measured, 2 ranks "
               "against one thread: 80k ratings 2x slower, 0.8M 1.2x slower, 4M 1.6x faster, 20M 2.2x)\n",
               run.train_ratings());
}

// Both outputs are written whole before either replaces an earlier file: a run that fails
// here leaves the earlier model and plot as they were.
void write_outputs(const TrainVerbOptions& o, const SavedModel& model, const std::vector<StepLoss>& steps,
                   const TrainOptions& options) {
  std::optional<StagedFile> plot;
  if (!o.plot.empty()) plot.emplace(o.plot, training_plot_image(o.plot, steps, model.history, options));
  StagedFile saved(o.model, model_file_bytes(model));
  // A rank of --nproc whose launcher is gone (the kernel kills it then; this closes the moment
  // between) replaces nothing: its launcher no longer stands for the run.
  if (launcher_is_gone())
    throw unavailable("the launcher of the ranks has ended; " + o.model + " was not written");
  if (plot) plot->commit();
  saved.commit();
  std::fprintf(stderr, "collab: saved the model to %s\n", o.model.c_str());
  if (plot) std::fprintf(stderr, "collab: drew %s\n", o.plot.c_str());
}

void run_train(const TrainVerbOptions& o, TrainingRequest request) {
  // Outputs that cannot be written are found before training, not after.
  require_replaceable_output(o.model, "model");
  if (!o.plot.empty()) {
    check_plot_path(o.plot);
    require_replaceable_output(o.plot, "plot");
  }
  stop_at_safe_points();
  // Several processes: launched here (--nproc), or by torchrun, whose environment says so.
  const DistributedSetup dist = distributed_setup_from_environment(o.dist_timeout);
  check_distribution(request.options, dist.active() ? dist.world_size : o.nproc, !o.checkpoint.empty());
  // Found now rather than after the first epoch, when the first shard is written.
  if (std::error_code e; !o.checkpoint.empty() && std::filesystem::exists(o.checkpoint, e) &&
                         !std::filesystem::is_directory(o.checkpoint, e))
    throw cannot_write("--checkpoint " + o.checkpoint + " is not a folder");
  std::unique_ptr<Communicator> communicator = connect_ranks(o, dist, request);
  if (o.nproc > 1 && !dist.active()) {
    // Ranks that hold only their own users' ratings stream them off the parsed-data cache; on a
    // file's first run the launcher writes it, so that no rank parses (and holds) every rating.
    if (loads_rank_local(request, o.nproc)) make_parsed_cache(request.source);
    return launch_local_ranks(o.nproc, request.options.seed);
  }
  request.communicator = communicator.get();
  request.checkpoint_dir = o.checkpoint;
  const bool lead = dist.rank == 0;  // only rank 0 prints results and writes the model

  auto run = prepare_training(request);
  if (communicator) check_ranks_agree(*communicator, training_fingerprint(*run, request), "options or data");
  if (lead) announce_training(*run, request);
  if (lead && communicator) warn_where_sharding_does_not_pay(*run, request);

  const bool table = o.format == "table";
  if (table && lead) print_line("epoch  train_loss  valid_loss  time");
  FitHooks hooks;
  hooks.stop = &stop_requested();
  hooks.on_epoch = [&](const EpochRecord& e) {
    if (lead) print_epoch(e, table, run->setup.shape.predicts_ratings());
  };
  hooks.on_resume = [&](int epochs) {
    if (lead) std::fprintf(stderr, "collab: resumed from --checkpoint %s after epoch %d\n", o.checkpoint.c_str(), epochs - 1);
  };
  std::vector<StepLoss> steps;
  if (stderr_is_terminal() || !o.plot.empty()) {
    hooks.progress_every = 20;
    hooks.on_progress = [&](int epoch, size_t done, size_t total, double loss) {
      if (!o.plot.empty()) steps.push_back({epoch + static_cast<double>(done) / static_cast<double>(total), loss});
      if (stderr_is_terminal() && lead) draw_progress(epoch, request.options.epochs, done, total, loss);
    };
  }
  SavedModel model;
  try {
    model = train_model(*run, request, hooks);
  } catch (const Interrupted&) {
    if (stderr_is_terminal()) std::fprintf(stderr, "\n");
    if (lead) std::fprintf(stderr, "collab: interrupted; %s was not written\n", o.model.c_str());
    throw;
  }
  if (communicator) report_traffic(*communicator, lead);
  if (lead) write_outputs(o, model, steps, request.options);
}

}  // namespace

void add_train_verb(CLI::App& app) {
  auto o = std::make_shared<TrainVerbOptions>();
  auto* verb = app.add_subcommand(
      "train",
      "Train a model with fastai's one-cycle Adam; print a table per epoch; save the model.\n"
      "Defaults are fastai's and the seed notebook's: collab train --epochs 5 --lr 5e-3 --wd 0.1");
  add_epochs_and_lr(verb, o->training.train);
  add_training_options(verb, o->training);
  add_model_option(verb, o->model, "Where to save the model (written to a temporary name, then renamed)");
  add_format_option(verb, o->format, {"table", "json"});
  verb->add_option("--plot", o->plot, "Also draw losses and the one-cycle schedule to FILE.png or FILE.svg");
  verb->add_option("--nproc", o->nproc,
                   "Train in N local processes (c10d, Gloo; --dist says how they divide the work); "
                   "under torchrun its environment says how many")
      ->check(CLI::Range(1, 256))->capture_default_str();
  add_enum_option<DistMode>(verb, "--dist", o->training.train.dist,
                            {{"auto", DistMode::automatic}, {"shard", DistMode::shard}, {"replicate", DistMode::replicate}},
                            "How several ranks divide training: shard (each owns 1/N of the users, items, Adam state "
                            "and ratings; sparse-adam, rating loss or BPR), replicate (each holds the whole model; "
                            "ends where one process ends, bit for bit); auto: shard for sparse-adam, replicate for adam");
  verb->add_option("--checkpoint", o->checkpoint,
                   "Sharded training: save each epoch's shards in folder DIR and resume from the last whole epoch "
                   "there (a job restarted after a rank died, or the same command again); default: none, nothing saved");
  verb->add_option("--dist-timeout", o->dist_timeout,
                   "Seconds a rank waits for the others before it stops with an error (several processes)")
      ->check(CLI::Range(1, 86400))->capture_default_str();
  verb->callback([o, verb] { run_train(*o, training_request(verb, o->training)); });
}

}  // namespace collab::cli
