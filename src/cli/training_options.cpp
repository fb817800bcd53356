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
                             {{"random", SplitKind::random},
                              {"time", SplitKind::time},
                              {"user-last", SplitKind::user_last},
                              {"user-random", SplitKind::user_random},
                              {"user-time", SplitKind::user_time}},
                             "Validation rows: random (fastai's RandomSplitter), time (the latest --valid-pct by "
                             "timestamp), user-last (each user's latest --valid-last ratings), user-random (each "
                             "user's --valid-pct at random by the seed) or user-time (each user's latest --valid-pct). "
                             "Per user, rank k of n validates when k/n > 1 - valid-pct - test-pct (Recommenders' "
                             "rule); a user with one rating stays whole in training");
  verb->add_option("--valid-pct", o.valid_pct,
                   "Share of ratings held out for validation (random, time, user-random, user-time splits)")
      ->check(finite_number(0.0, 0.99))->capture_default_str();
  verb->add_option("--test-pct", o.test_pct,
                   "Share of ratings held out as test rows, neither trained nor validated on (collab split writes "
                   "them to test.csv): random takes the permutation's rows after the validation rows, time the "
                   "latest, user-random and user-time each user's last ranks; 0: none")
      ->check(finite_number(0.0, 0.99))->capture_default_str();
  verb->add_option("--valid-last", o.valid_last, "Ratings per user held out by --split user-last")
      ->check(CLI::Range(1, 1000000))->capture_default_str();
  verb->add_option("--valid-ratings", o.valid_ratings,
                   "Validate on the ratings in FILE (a ratings CSV, as collab split writes) and train on the "
                   "rest of the data set")
      ->excludes("--split")->excludes("--valid-pct")->excludes("--valid-last")->excludes("--test-pct");
}

void add_filter_options(CLI::App* verb, FilterOptions& o) {
  verb->add_option("--min-rating", o.min_rating,
                   "Drop ratings below R before anything else (RecBole's val_interval on the rating; default: "
                   "keep every rating)")
      ->check(finite_number(-1e9, 1e9));
  verb->add_option("--min-user-ratings", o.min_user_ratings,
                   "k-core: drop users with fewer ratings, and with --min-item-ratings repeat until both hold "
                   "(after --min-rating; 0 or 1: no limit)")
      ->check(CLI::Range(0, 1000000000))->capture_default_str();
  verb->add_option("--min-item-ratings", o.min_item_ratings,
                   "k-core: drop items with fewer ratings, and with --min-user-ratings repeat until both hold "
                   "(0 or 1: no limit)")
      ->check(CLI::Range(0, 1000000000))->capture_default_str();
}

RatingFilters rating_filters(const CLI::App* verb, const FilterOptions& o) {
  RatingFilters f;
  if (verb->count("--min-rating") > 0) f.min_rating = o.min_rating;
  f.min_user_ratings = o.min_user_ratings;
  f.min_item_ratings = o.min_item_ratings;
  return f;
}

void report_filters_and_split(const RatingFilters& filters, const FilterReport& report, const SplitSpec& spec,
                              const TrainValidSplit& split) {
  if (filters.any()) std::fprintf(stderr, "collab: %s\n", filter_report_text(filters, report).c_str());
  if ((spec.kind == SplitKind::user_random || spec.kind == SplitKind::user_time) && split.users_kept_whole > 0)
    std::fprintf(stderr,
                 "collab: note: %zu user%s too few ratings to give one to validation and keep one for training; "
                 "%s whole in training\n",
                 split.users_kept_whole, split.users_kept_whole == 1 ? " has" : "s have",
                 split.users_kept_whole == 1 ? "it stays" : "they stay");
}

SplitSpec split_spec(const SplitOptions& o) {
  SplitSpec s;
  s.kind = o.valid_ratings.empty() ? o.kind : SplitKind::given;
  s.valid_pct = o.valid_pct;
  s.test_pct = o.test_pct;
  s.valid_last = o.valid_last;
  // Absolute, as the model records it, so that eval can rebuild the split from any folder
  // (standard input, `-`, stays as it is: it cannot be read again).
  std::error_code ec;
  s.valid_ratings = o.valid_ratings.empty() || o.valid_ratings == "-"
                        ? o.valid_ratings
                        : std::filesystem::absolute(o.valid_ratings, ec).lexically_normal().string();
  if (ec) s.valid_ratings = o.valid_ratings;
  return s;
}

void add_epochs_and_lr(CLI::App* verb, TrainOptions& t) {
  verb->add_option("--epochs", t.epochs, "Epochs")->check(CLI::Range(1, 1000000))->capture_default_str();
  verb->add_option("--lr", t.lr, "Peak learning rate of the one-cycle schedule")
      ->check(positive_number())->capture_default_str();
}

// The ranking models' options (docs/experiments.md#ranking-models).
void add_ranking_options(CLI::App* verb, TrainOptions& t) {
  verb->add_flag("--implicit", t.model.implicit,
                 "Train on interactions: every training rating at or above --positive-rating is a positive, the rest "
                 "are not interactions (with --loss bpr, --optimizer als or --arch popularity)");
  verb->add_option("--positive-rating", t.positive_rating, "With --implicit: ratings at or above this are positive (0: every one)")
      ->check(finite_number(-1e9, 1e9))->capture_default_str();
  add_enum_option<Loss>(verb, "--loss", t.loss, {{"mse", Loss::mse}, {"bpr", Loss::bpr}},
                        "mse: squared error against the rating; bpr: Rendle's pairwise ranking loss (--implicit, dot or "
                        "dot-bias; defaults then --epochs 40 --lr 1e-2 --wd 0.2 --bs 256 --factors 64)");
  verb->add_option("--negatives", t.negatives, "BPR: negatives drawn per positive interaction")
      ->check(CLI::Range(1, 1000))->capture_default_str();
  verb->add_option("--alpha", t.alpha, "Implicit ALS: confidence 1 + alpha * rating")
      ->check(finite_number(0, 1e9))->capture_default_str();
  verb->add_option("--cg-steps", t.cg_steps, "Implicit ALS: conjugate-gradient steps per row and sweep")
      ->check(CLI::Range(1, 1000))->capture_default_str();
  verb->add_option("--reg-u", t.reg_u, "--arch baseline: the users' regularisation (Surprise's reg_u)")
      ->check(non_negative_number())->capture_default_str();
  verb->add_option("--reg-i", t.reg_i, "--arch baseline: the items' regularisation (Surprise's reg_i)")
      ->check(non_negative_number())->capture_default_str();
}

void add_training_options(CLI::App* verb, TrainingCommandOptions& c, bool with_split) {
  add_data_options(verb, c.data);
  add_filter_options(verb, c.filters);
  add_enum_option<Arch>(verb, "--arch", c.train.model.arch,
                        {{"dot", Arch::dot}, {"dot-range", Arch::dot_range}, {"dot-bias", Arch::dot_bias}, {"nn", Arch::nn},
                         {"popularity", Arch::popularity}, {"baseline", Arch::baseline}},
                        "Model: dot, dot-range, dot-bias (the seed's DotProductBias), nn; popularity (items by their count "
                        "of training interactions) or baseline (Surprise's BaselineOnly, mu + b_u + b_i, by ALS)");
  verb->add_option("--bs", c.train.batch_size, "Batch size")->check(CLI::Range(1, 1 << 24))->capture_default_str();
  verb->add_option("--wd", c.train.wd, "Decoupled weight decay")
      ->check(non_negative_number())->capture_default_str();
  verb->add_option("--factors", c.train.model.factors, "Latent factors per user and item")
      ->check(CLI::Range(1, 4096))->capture_default_str();
  verb->add_option("--y-range", c.y_range, "LO,HI of sigmoid_range(x, LO, HI)")->capture_default_str();
  verb->add_option("--layers", c.layers, "nn hidden sizes, e.g. 100,50 (default: fastai's, one layer of --factors)");
  if (with_split) add_split_options(verb, c.split);
  add_seed_option(verb, c.train.seed, "Seed for split, weights and batches (default: fresh, printed)");
  verb->add_option("--device", c.device, "auto (CUDA when available), cpu or cuda")
      ->check(CLI::IsMember({"auto", "cpu", "cuda"}))->capture_default_str();
  add_enum_option<OptimizerKind>(verb, "--optimizer", c.train.optimizer,
                                 {{"adam", OptimizerKind::adam}, {"sparse-adam", OptimizerKind::sparse_adam}, {"als", OptimizerKind::als}},
                                 "adam: fastai's Adam + decoupled weight decay on every parameter each step "
                                 "(exact mode); sparse-adam: only on the rows a batch touches (much faster, see README); "
                                 "als: weighted ALS for --arch dot with --implicit (--wd is its lambda, --epochs its sweeps)");
  add_ranking_options(verb, c.train);
  verb->add_option("--engine", c.engine,
                   "auto: the hand-written CPU engine for embedding models on the CPU, LibTorch "
                   "otherwise; cpu; torch (LibTorch, also on the CPU)")
      ->check(CLI::IsMember({"auto", "cpu", "torch"}))->capture_default_str();
  verb->add_option("--threads", c.train.threads,
                   "CPU threads for the CPU engine (0: collab chooses, by measuring one thread against the usable "
                   "cores up to 2; sparse-adam shares steps from --bs 512). The results do not depend on it")
      ->check(CLI::Range(0, 1024))->capture_default_str();
}

void check_split_options_apply(const CLI::App* verb, const SplitOptions& o) {
  auto given = [verb](const char* name) {
    const CLI::Option* option = verb->get_option_no_throw(name);
    return option != nullptr && option->count() > 0;
  };
  // Said, not silently ignored: an option the chosen split does not read.
  if (given("--valid-last") && o.kind != SplitKind::user_last)
    throw usage_error("--valid-last applies only to --split user-last (each user's latest N ratings)");
  if (given("--valid-pct") && o.kind == SplitKind::user_last)
    throw usage_error("--valid-pct does not apply to --split user-last, which holds out --valid-last N ratings a user");
}

TrainingRequest training_request(const CLI::App* verb, TrainingCommandOptions& c) {
  check_split_options_apply(verb, c.split);
  check_split_spec(split_spec(c.split));  // before a seed is chosen or the data loaded
  TrainOptions& t = c.train;
  const auto range = parse_numbers(c.y_range, "--y-range");
  if (range.size() != 2 || !std::isfinite(range[0]) || !std::isfinite(range[1]) || !(range[0] < range[1]))
    throw usage_error("--y-range: expected LO,HI with LO < HI, got '" + c.y_range + "'");
  t.model.y_low = range[0];
  t.model.y_high = range[1];
  t.model.layers.clear();
  for (float f : parse_numbers(c.layers, "--layers")) {
    if (!(f >= 1 && f <= 65536) || f != static_cast<int>(f))
      throw usage_error("--layers: sizes must be whole numbers from 1 to 65536");
    t.model.layers.push_back(static_cast<int>(f));
  }
  apply_model_kind_defaults(t, [&](const char* option) {
    return verb->get_option_no_throw(option) && verb->count(option) > 0;
  });
  if (t.model.layers.empty()) t.model.layers = {t.model.factors};  // fastai's collab_learner default
  if (verb->count("--seed") == 0) {
    t.seed = fresh_seed();
    std::fprintf(stderr, "collab: seed %llu (repeat this run with --seed %llu)\n",
                 static_cast<unsigned long long>(t.seed), static_cast<unsigned long long>(t.seed));
  }
  if (t.threads > usable_cores())
    std::fprintf(stderr, "collab: --threads %d is more than the %d core%s this process may use: the threads will "
                 "take turns (slower, the same results)\n", t.threads, usable_cores(), usable_cores() == 1 ? "" : "s");
  TrainingRequest request;
  request.source = data_source(c.data);
  request.filters = rating_filters(verb, c.filters);
  request.options = t;
  request.split = split_spec(c.split);
  request.device = c.device;
  request.engine = c.engine;
  return request;
}

void announce_training(const PreparedTraining& run, const TrainingRequest& request) {
  report_filters_and_split(request.filters, run.filtered, request.split, run.split);
  const std::string test =
      run.split.test_rows.empty() ? "" : ", " + std::to_string(run.split.test_rows.size()) + " test";
  std::fprintf(stderr, "collab: %zu ratings (%zu train, %zu valid%s), %lld users, %lld items; %s on %s\n",
               run.ratings(), run.train_ratings(), run.valid_ratings(), test.c_str(),
               static_cast<long long>(run.setup.shape.n_users - 1), static_cast<long long>(run.setup.shape.n_items - 1),
               arch_name(run.setup.shape.arch).c_str(), run.engine->device_name().c_str());
}

}  // namespace collab::cli
