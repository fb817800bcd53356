// `collab tune`: hyperparameter search (train/tuning.h) wired to the pipeline. The verb's split
// names the test rows; trials train on the rest minus --tune-pct and are scored on that share, or
// are scored by --folds K cross-validation of the rest; the best configuration is then retrained
// on the whole training part and scored once on the test rows. With --nproc N or under torchrun
// the ranks take trials from one queue in c10d's store (train/trial_queue.h); rank 0 alone
// reads and writes the journal, prints, retrains the best and writes the model and picture.
#include <algorithm>
#include <atomic>
#include <chrono>
#include <cmath>
#include <cstdio>
#include <exception>
#include <memory>
#include <mutex>
#include <thread>

#include "launcher.h"
#include "model/evaluation.h"
#include "pipeline/cross_validation.h"
#include "model/model_file.h"
#include "output.h"
#include "support/cores.h"
#include "support/error.h"
#include "support/files.h"
#include "support/hash.h"
#include "support/interrupt.h"
#include "train/distributed.h"
#include "train/file_store.h"
#include "train/torch_plugin.h"
#include "train/trial_queue.h"
#include "train/tuning.h"
#include "training_options.h"
#include "tune_options.h"
#include "tune_output.h"
#include "tuning_rows.h"
#include "verbs.h"

namespace collab::cli {
namespace {

// Thrown from a trial's epoch hook when ASHA stops it at a rung.
struct TrialPruned {
  int epochs;
  double score;
};

// One search: the verb's options and rows, what every trial shares, and what it prints.
class TuneRun {
 public:
  TuneRun(const TuneVerbOptions& o, const CLI::App* verb, TrainingRequest request)
      : o_(o), request_(std::move(request)), space_(parse_space(o, verb, request_)),
        layers_follow_factors_(verb->count("--layers") == 0 && space_.names.count("factors")),
        dist_(distributed_setup_from_environment(o.dist_timeout)) {
    table_ = {&space_.options, metric_name(o.metric), minimised(o.metric), o.k, !space_.names.count("epochs"),
              o.format == "json", o.folds};
    // The ranks on this machine share its cores.
    const int local_ranks = dist_.active() ? dist_.local_world_size : 1;
    const int jobs = o.jobs > 0 ? o.jobs : std::max(1, usable_cores() / local_ranks);
    settings_.kind = o.search;
    settings_.trials = o.trials;
    settings_.time_budget_s = o.time_budget;
    settings_.jobs = jobs;
    // Ranks all on this machine (--nproc, torchrun on one node): their workers share its cores.
    if (dist_.active() && dist_.local_world_size == dist_.world_size) settings_.workers_here = jobs * local_ranks;
    settings_.seed = request_.options.seed;
    settings_.minimise = minimised(o.metric);
    // A trial's length, roughly: its epochs times the work per rating of its factors (plus what
    // every rating costs). A wrong guess costs only idle cores at the end, never other results.
    if (!o.prune && o.time_budget <= 0)
      settings_.order = longest_first(space_.options, settings_, [this](const Configuration& values) {
        const TrainOptions t = configured(values).options;
        return static_cast<double>(t.epochs) * (t.model.factors + 16.0);
      });
    // Each trial on one thread when several run at once; the results do not depend on it.
    trial_threads_ = verb->count("--threads") > 0 ? request_.options.threads : (jobs * local_ranks > 1 ? 1 : 0);
  }

  void run() {
    stop_at_safe_points();
    // Several processes: launched here (--nproc), or by torchrun, whose environment says so.
    if (o_.nproc > 1 || dist_.active()) require_file_inputs(request_);
    if (o_.nproc > 1 && !dist_.active())
      return launch_local_ranks(o_.nproc, request_.options.seed, LostRank::others_go_on);
    // --nproc's ranks (a store folder) need only a store, and one in a file needs no LibTorch:
    // loading it would cost each rank about 0.4 CPU-s (train/file_store.h). torchrun's store is
    // c10d's TCPStore, in the plugin.
    std::unique_ptr<Communicator> ranks;
    if (dist_.active())
      ranks = dist_.store_dir.empty() ? load_torch_plugin().connect(dist_) : connect_file_store(dist_);
    rows_ = load_tuning_rows(o_, request_, lead());
    const std::string search = search_fingerprint(rows_.outer, space_.options, o_, request_);
    std::vector<TrialResult> done;
    if (ranks) check_ranks_agree(*ranks, agreement(search), "options or data");
    if (!o_.journal.empty() && lead()) {
      done = read_journal(o_.journal, space_.options, search);
      if (!done.empty()) std::fprintf(stderr, "collab: %zu trials read from %s\n", done.size(), o_.journal.c_str());
    }
    std::unique_ptr<TrialQueue> queue;
    if (ranks)
      queue = std::make_unique<TrialQueue>(*ranks, space_.options, search, search_size(space_.options, settings_),
                                           std::chrono::seconds(dist_.timeout_seconds));
    settings_.queue = queue.get();
    if (o_.prune)
      rungs_ = queue ? shared_rungs(*queue, settings_.minimise) : std::make_unique<AshaRungs>(settings_.minimise);
    for (const TrialResult& r : rungs_ ? done : std::vector<TrialResult>{}) rungs_->add_finished(r);
    // What trials share, read only: the vocabulary (a trial's model carries a copy) and its rows.
    vocabulary_only_.vocabulary = rows_.data.vocabulary;
    if (lead()) print_tune_header(table_);
    const std::vector<TrialResult> results = search_trials(search, done);
    rungs_.reset();
    queue.reset();  // the other ranks have left: rank 0 alone retrains the best
    if (stop_requested()) throw Interrupted();
    if (!lead()) return;
    const int best_index = best_trial(results, settings_.minimise);
    if (best_index < 0) throw data_error("no trial finished with a score (every loss diverged): lower the --space lr range");
    retrain_best(results, results[best_index]);
  }

 private:
  bool lead() const { return dist_.rank == 0; }

  // What the ranks must agree on: the search (its journal's fingerprint) and its length.
  std::uint64_t agreement(const std::string& search) const {
    Hasher h;
    h.text(search);
    h.update(&o_.trials, sizeof o_.trials);
    h.update(&o_.time_budget, sizeof o_.time_budget);
    return h.digest();
  }

  std::vector<TrialResult> search_trials(const std::string& search, const std::vector<TrialResult>& done) {
    SearchCallbacks cb;
    cb.run_trial = [this](int trial, const Configuration& values) { return run_trial(trial, values); };
    if (!o_.journal.empty())
      cb.on_finished = [&](const TrialResult& r) { append_journal(o_.journal, journal_line(space_.options, search, r)); };
    cb.on_ordered = [this](const TrialResult& r) { print_tune_trial(table_, r); };
    cb.should_stop = [] { return stop_requested().load(); };
    // A core idles at the end of the search: the best so far starts its retraining there.
    cb.on_idle_core = [this](const TrialResult& best) { speculation_ = std::make_unique<Speculation>(*this, best); };
    return run_search(space_.options, settings_, done, cb);
  }

  TrainingRequest configured(const Configuration& values) const {
    TrainingRequest r = request_;
    apply_configuration(space_.options, values, r.options);
    if (layers_follow_factors_) r.options.model.layers = {r.options.model.factors};
    return r;
  }

  TrialResult run_trial(int trial, const Configuration& values) const {
    const auto started = std::chrono::steady_clock::now();
    TrainingRequest r = configured(values);
    r.options.threads = trial_threads_;
    TrialResult result;
    result.trial = trial;
    result.values = values;
    result.epochs = r.options.epochs;
    result.train_rows = rows_.inner.train.size();
    result.tune_rows = rows_.inner.valid.size();
    result.folds = o_.folds;
    struct RungsEnd {  // however the trial ends, trials waiting at a rung for it are told
      TrialRungs* rungs;
      int trial;
      ~RungsEnd() {
        if (rungs && std::uncaught_exceptions() > 0) rungs->abandon();  // the search is failing
        if (rungs) rungs->ended(trial);
      }
    } rungs_end{rungs_.get(), trial};
    try {
      score(r, result);
    } catch (const TrialPruned& pruned) {
      result.pruned = true, result.epochs = pruned.epochs, result.score = pruned.score;
    } catch (const Interrupted&) {
      throw;
    } catch (const Error& e) {
      // A diverged loss (lr too high), or tuned names that make no model together (--arch nn with
      // --optimizer sparse-adam): the trial scores nothing, the search goes on.
      if (e.code() != ExitCode::data && !(e.code() == ExitCode::usage && categorical_)) throw;
      std::fprintf(stderr, "collab: trial %d: %s%s\n", trial, e.what(),
                   e.code() == ExitCode::usage ? " (this combination scores nothing)" : "");
      result.score = std::nan("");
      result.score_std = 0;
    }
    result.seconds = std::chrono::duration<double>(std::chrono::steady_clock::now() - started).count();
    return result;
  }

  // Trains and scores one configuration: on the tuning rows, or the mean (and the population
  // standard deviation) over the folds of the training part.
  void score(const TrainingRequest& r, TrialResult& result) const {
    FitHooks hooks;
    hooks.stop = &stop_requested();
    EvaluationOptions eval;
    eval.k = o_.k;
    eval.threads = trial_threads_;
    if (o_.folds == 0) {
      if (rungs_) hooks.on_epoch = [&](const EpochRecord& e) { rung(r, e, result); };
      auto run = prepare_training_on(r, vocabulary_only_, rows_.inner);
      const SavedModel model = train_model(*run, r, hooks);
      result.score = metric_of(fold_result(evaluate_on(model, rows_.inner.valid, eval)), o_.metric);
      return;
    }
    const FoldSummary summary = summarise_folds(cross_validate(r, rows_.training_part, o_.folds, eval, hooks));
    result.score = metric_of(summary.mean, o_.metric);
    result.score_std = std::isfinite(result.score) ? metric_of(summary.std, o_.metric) : 0;
  }

  // --prune: at a rung, the trial's RMSE on the tuning rows (the square root of the epoch's
  // validation MSE) decides whether it goes on; TrialPruned stops it.
  void rung(const TrainingRequest& r, const EpochRecord& e, TrialResult& result) const {
    const int done = e.epoch + 1;
    if (done >= r.options.epochs || !is_rung_epoch(done)) return;
    const double score = std::sqrt(e.valid_loss);
    result.rungs.push_back(score);
    if (!rungs_->promote(result.trial, result.rungs.size() - 1, score)) throw TrialPruned{done, score};
  }

  // A configuration trained on the whole training part (`data` split by `outer`).
  struct Retrained {
    std::unique_ptr<PreparedTraining> run;
    SavedModel model;
  };
  Retrained retrain(const Configuration& values, const std::atomic<bool>* stop, EncodedRatings data,
                    TrainValidSplit outer) const {
    const TrainingRequest r = configured(values);
    Retrained out;
    out.run = prepare_training_on(r, std::move(data), std::move(outer));
    FitHooks hooks;
    hooks.stop = stop;
    out.model = train_model(*out.run, r, hooks);
    return out;
  }

  // The best trial so far, retrained on a thread of its own while a core idles at the end of the
  // search; used if it stays the best (training is a function of the configuration and the seed,
  // whatever the threads), abandoned otherwise.
  struct Speculation {
    Speculation(const TuneRun& tune, const TrialResult& best) : trial(best.trial) {
      thread = std::thread([this, &tune, values = best.values] {
        try {
          retrained = tune.retrain(values, &stop, tune.rows_.data, tune.rows_.outer);  // copies: trials read them
        } catch (...) {
          error = std::current_exception();
        }
        done = true;
      });
    }
    ~Speculation() {
      stop = true;
      if (thread.joinable()) thread.join();
    }
    // Its result, once it has finished (Ctrl-C stops the wait).
    Retrained take() {
      while (!done) {
        if (stop_requested()) stop = true;
        std::this_thread::sleep_for(std::chrono::milliseconds(5));
      }
      thread.join();
      if (error) std::rethrow_exception(error);
      return std::move(retrained);
    }
    const int trial;
    std::atomic<bool> stop{false}, done{false};
    Retrained retrained;
    std::exception_ptr error;
    std::thread thread;
  };

  // The best configuration, retrained on the whole training part and scored once on the test rows;
  // the model and the picture are staged together, so that a failure to write one leaves neither.
  void retrain_best(const std::vector<TrialResult>& results, const TrialResult& best) {
    TrainingRequest final_request = configured(best.values);
    const size_t train_rows = rows_.outer.train.size(), test_rows = rows_.outer.valid.size();
    Retrained retrained;
    if (speculation_ && speculation_->trial == best.trial) {
      retrained = speculation_->take();
    } else {
      speculation_.reset();  // another trial overtook it: stopped
      retrained = retrain(best.values, &stop_requested(), std::move(rows_.data), std::move(rows_.outer));
    }
    const SavedModel& model = retrained.model;
    const auto& run = retrained.run;
    EvaluationOptions eval;
    eval.k = o_.k;
    eval.threads = request_.options.threads;
    const Evaluation test = evaluate_on(model, run->split.valid, eval);
    std::unique_ptr<StagedFile> saved, plot;
    if (!o_.model.empty()) saved = std::make_unique<StagedFile>(o_.model, model_file_bytes(model));
    if (!o_.plot.empty()) plot = std::make_unique<StagedFile>(o_.plot, tune_plot(o_.plot, table_, results));
    // A rank of --nproc whose launcher is gone no longer stands for the run: it replaces nothing.
    if (launcher_is_gone()) throw unavailable("the launcher of the ranks has ended; nothing was written");
    if (saved) saved->commit();
    if (plot) plot->commit();
    print_tune_best(table_, {&best, results.size(), final_request.options.epochs, test, train_rows, test_rows});
    if (saved) std::fprintf(stderr, "collab: saved the best configuration's model to %s\n", o_.model.c_str());
    if (plot) std::fprintf(stderr, "collab: drew %s\n", o_.plot.c_str());
  }

  const TuneVerbOptions& o_;
  const TrainingRequest request_;
  const TunedSpace space_;
  const bool layers_follow_factors_;
  const bool categorical_ = std::any_of(space_.options.begin(), space_.options.end(),
                                        [](const TunedOption& t) { return t.categorical(); });
  TuneTable table_;
  SearchSettings settings_;
  int trial_threads_ = 0;
  TuningRows rows_;
  EncodedRatings vocabulary_only_;
  std::unique_ptr<TrialRungs> rungs_;  // --prune
  const DistributedSetup dist_;
  std::unique_ptr<Speculation> speculation_;  // last: stopped before what it reads goes
};

}  // namespace

void add_tune_verb(CLI::App& app) {
  auto o = std::make_shared<TuneVerbOptions>();
  auto* verb = app.add_subcommand(
      "tune",
      "Hyperparameter search that never peeks at the test rows. The split (--split, --valid-pct,\n"
      "--valid-ratings) names the TEST rows; trials train on the training part minus --tune-pct of it\n"
      "(drawn by the seed), or on --folds K folds of it, and are scored there by --metric; the best\n"
      "configuration is then retrained on the whole training part and scored once on the test rows.\n"
      "Every train option applies; lr, wd, factors, epochs, bs, negatives and alpha take a list a,b,c or\n"
      "a range lo..hi[:log|:lin], arch and optimizer a list of names, e.g.\n"
      "  collab tune --optimizer sparse-adam --lr 1e-4..1e-1 --wd 0.01,0.03,0.1 --factors 8,32,64");
  add_epochs_and_lr(verb, o->training.train);
  add_training_options(verb, o->training);
  add_tune_options(verb, *o);
  add_format_option(verb, o->format, {"table", "json"});
  verb->callback([o, verb] {
    fix_single_values(verb, *o);
    TuneRun(*o, verb, training_request(verb, o->training)).run();
  });
}

}  // namespace collab::cli
