#include "training_options.h"

#include <cmath>
#include <filesystem>
#include <cstdio>
#include <sstream>

#include "support/cores.h"
#include "support/error.h"
#include "support/random.h"

namespace collab::cli {
namespace {

std::vector<float> parse_numbers(const std::string& text, const std::string& option) {
  std::vector<float> out;
  std::stringstream in(text);
  std::string part;
  while (std::getline(in, part, ',')) {
    try {
      size_t used = 0;
      out.push_back(std::stof(part, &used));
      if (used != part.size()) throw std::invalid_argument(part);
    } catch (const std::exception&) {
      throw usage_error(option + ": '" + text + "' is not a comma-separated list of numbers");
    }
  }
  return out;
}

}  // namespace

void add_split_options(CLI::App* verb, SplitOptions& o) {
  add_enum_option<SplitKind>(verb, "--split", o.kind,
                             {{"random", SplitKind::random}, {"time", SplitKind::time}, {"user-last", SplitKind::user_last}},
                             "Validation rows: random (fastai's RandomSplitter), time (the latest --valid-pct by "
                             "timestamp) or user-last (each user's latest --valid-last ratings)");
  verb->add_option("--valid-pct", o.valid_pct, "Share of ratings held out for validation (random and time splits)")
      ->check(finite_number(0.0, 0.99))->capture_default_str();
  verb->add_option("--valid-last", o.valid_last, "Ratings per user held out by --split user-last")
      ->check(CLI::Range(1, 1000000))->capture_default_str();
  verb->add_option("--valid-ratings", o.valid_ratings,
                   "Validate on the ratings in FILE (a ratings CSV, as collab split writes) and train on the "
                   "rest of the data set")
      ->excludes("--split")->excludes("--valid-pct")->excludes("--valid-last");
}

SplitSpec split_spec(const SplitOptions& o, std::uint64_t seed) {
  SplitSpec s;
  s.kind = o.valid_ratings.empty() ? o.kind : SplitKind::given;
  s.valid_pct = o.valid_pct;
  s.valid_last = o.valid_last;
  // Absolute, as the model records it, so that eval can rebuild the split from any folder
  // (standard input, `-`, stays as it is: it cannot be read again).
  std::error_code ec;
  s.valid_ratings = o.valid_ratings.empty() || o.valid_ratings == "-"
                        ? o.valid_ratings
                        : std::filesystem::absolute(o.valid_ratings, ec).lexically_normal().string();
  if (ec) s.valid_ratings = o.valid_ratings;
  s.seed = seed;
  return s;
}

void add_epochs_and_lr(CLI::App* verb, TrainOptions& t) {
  verb->add_option("--epochs", t.epochs, "Epochs")->check(CLI::Range(1, 1000000))->capture_default_str();
  verb->add_option("--lr", t.lr, "Peak learning rate of the one-cycle schedule")
      ->check(positive_number())->capture_default_str();
}

void add_training_options(CLI::App* verb, TrainingCommandOptions& c, bool with_split) {
  add_data_options(verb, c.data);
  add_enum_option<Arch>(verb, "--arch", c.train.arch,
                        {{"dot", Arch::dot}, {"dot-range", Arch::dot_range}, {"dot-bias", Arch::dot_bias}, {"nn", Arch::nn}},
                        "Model: dot, dot-range, dot-bias (the seed's DotProductBias), nn");
  verb->add_option("--bs", c.train.batch_size, "Batch size")->check(CLI::Range(1, 1 << 24))->capture_default_str();
  verb->add_option("--wd", c.train.wd, "Decoupled weight decay")
      ->check(non_negative_number())->capture_default_str();
  verb->add_option("--factors", c.train.factors, "Latent factors per user and item")
      ->check(CLI::Range(1, 4096))->capture_default_str();
  verb->add_option("--y-range", c.y_range, "LO,HI of sigmoid_range(x, LO, HI)")->capture_default_str();
  verb->add_option("--layers", c.layers, "nn hidden sizes, e.g. 100,50 (default: fastai's, one layer of --factors)");
  if (with_split) add_split_options(verb, c.split);
  add_seed_option(verb, c.train.seed, "Seed for split, weights and batches (default: fresh, printed)");
  verb->add_option("--device", c.device, "auto (CUDA when available), cpu or cuda")
      ->check(CLI::IsMember({"auto", "cpu", "cuda"}))->capture_default_str();
  add_enum_option<OptimizerKind>(verb, "--optimizer", c.train.optimizer,
                                 {{"adam", OptimizerKind::adam}, {"sparse-adam", OptimizerKind::sparse_adam}},
                                 "adam: fastai's Adam + decoupled weight decay on every parameter each step "
                                 "(exact mode); sparse-adam: only on the rows a batch touches (much faster, see README)");
  verb->add_option("--engine", c.engine,
                   "auto: the hand-written CPU engine for embedding models on the CPU, LibTorch "
                   "otherwise; cpu; torch (LibTorch, also on the CPU)")
      ->check(CLI::IsMember({"auto", "cpu", "torch"}))->capture_default_str();
  verb->add_option("--threads", c.train.threads,
                   "CPU threads for the CPU engine (0: chosen by measuring, one or the usable cores up to 2; "
                   "sparse-adam shares steps from --bs 512). The results do not depend on it")
      ->check(CLI::Range(0, 1024))->capture_default_str();
}

TrainingRequest training_request(const CLI::App* verb, TrainingCommandOptions& c) {
  TrainOptions& t = c.train;
  const auto range = parse_numbers(c.y_range, "--y-range");
  if (range.size() != 2 || !std::isfinite(range[0]) || !std::isfinite(range[1]) || !(range[0] < range[1]))
    throw usage_error("--y-range: expected LO,HI with LO < HI, got '" + c.y_range + "'");
  t.y_low = range[0];
  t.y_high = range[1];
  t.layers.clear();
  for (float f : parse_numbers(c.layers, "--layers")) {
    if (!(f >= 1 && f <= 65536) || f != static_cast<int>(f))
      throw usage_error("--layers: sizes must be whole numbers from 1 to 65536");
    t.layers.push_back(static_cast<int>(f));
  }
  if (t.layers.empty()) t.layers = {t.factors};  // fastai's collab_learner default
  if (verb->count("--seed") == 0) {
    t.seed = fresh_seed();
    std::fprintf(stderr, "collab: seed %llu (repeat this run with --seed %llu)\n",
                 static_cast<unsigned long long>(t.seed), static_cast<unsigned long long>(t.seed));
  }
  if (t.threads > usable_cores())
    std::fprintf(stderr, "collab: --threads %d is more than the %d core%s this process may use: the threads will "
                 "take turns (slower, the same results)\n", t.threads, usable_cores(), usable_cores() == 1 ? "" : "s");
  t.valid_pct = c.split.valid_pct;
  TrainingRequest request;
  request.source = data_source(c.data);
  request.options = t;
  request.split = split_spec(c.split, t.seed);
  request.device = c.device;
  request.engine = c.engine;
  return request;
}

void announce_training(const PreparedTraining& run) {
  std::fprintf(stderr, "collab: %zu ratings (%zu train, %zu valid), %lld users, %lld items; %s on %s\n",
               run.data.size(), run.split.train.size(), run.split.valid.size(),
               static_cast<long long>(run.setup.shape.n_users - 1), static_cast<long long>(run.setup.shape.n_items - 1),
               arch_name(run.setup.shape.arch).c_str(), run.engine->device_name().c_str());
}

}  // namespace collab::cli
