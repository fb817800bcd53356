// Hyperparameter search (`collab tune`) as plain data and free functions: the tuned options and
// their values, grid and random proposals, the rows trials are scored on (carved from the
// training part only: the test rows never reach a trial), the search loop over worker threads,
// and the journal that lets a search resume. The search space, proposals and tuning rows are in
// tuning.cpp, TPE in tpe.cpp, the loop in tuning_search.cpp (across ranks: tuning_ranks.cpp and
// trial_queue.h), the journal in tuning_journal.cpp.
//
// Reproducibility: for grid and random search a trial's configuration is a function of the seed
// and the trial's number alone, and every trial trains with the same seed, so the results do not
// depend on how many trials run at once, on how many ranks, or in which order they finish. TPE's
// proposals also depend on earlier trials' scores; they are made in fixed batches
// (tpe_history_end) so that they too do not depend on --jobs or the ranks.
#pragma once

#include <condition_variable>
#include <cstdint>
#include <functional>
#include <map>
#include <mutex>
#include <set>
#include <string>
#include <vector>

#include "support/random.h"
#include "train/split.h"
#include "train/train_options.h"

namespace collab {

// One option a search varies, as `--NAME SPEC` or `--space NAME=SPEC` declares it: a list
// `a,b,c` or a range `lo..hi`, optionally `:log` or `:lin` (log by default for lr and wd, linear
// otherwise). factors, epochs, bs and negatives take whole numbers; arch and optimizer are
// categorical: lists of their names only, each value the index of its name in `labels`.
struct TunedOption {
  std::string name;            // lr, wd, factors, epochs, bs, negatives, alpha, arch, optimizer
  bool integer = false;
  std::vector<double> values;  // a list; empty for a range
  double low = 0, high = 0;    // a range, low <= high
  bool log_scale = false;
  std::vector<std::string> labels;  // a categorical option's names; values index into them
  bool is_range() const { return values.empty(); }
  bool categorical() const { return !labels.empty(); }
};

// The options that may be tuned, in the order the help lists them.
const std::vector<std::string>& tunable_option_names();
// Parses option `name`'s SPEC `body`; a usage error (64) starting with `shown` (how the user
// wrote it: "--lr 0..1", "--space lr=0..1") for anything wrong: an unknown name, a malformed list
// or range, a value the option does not take (lr <= 0, a fractional factors, lo > hi, a log range
// touching 0, an unknown arch, a range of a categorical option).
TunedOption parse_tuned_option(const std::string& name, const std::string& body, const std::string& shown);
// `NAME=SPEC`, as --space gives it; errors name --space.
TunedOption parse_tuned_option(const std::string& spec);
// True for a list of one value: the option is fixed rather than tuned.
inline bool is_fixed(const TunedOption& o) { return !o.is_range() && o.values.size() == 1; }

// One value per tuned option, in the order the options were given.
using Configuration = std::vector<double>;
void apply_configuration(const std::vector<TunedOption>& space, const Configuration& values, TrainOptions& options);
std::string value_text(const TunedOption& option, double value);  // "0.0031", "64", "nn"

enum class SearchKind { grid, random, tpe };
enum class TuningMetric { rmse, mae, ndcg, precision, recall, map };
std::string metric_name(TuningMetric m);
bool minimised(TuningMetric m);  // rmse and mae; the ranking metrics are maximised

// Grid search: the Cartesian product of the lists, the first option varying slowest. A range
// has no grid: a usage error naming it.
size_t grid_size(const std::vector<TunedOption>& space);
Configuration grid_configuration(const std::vector<TunedOption>& space, size_t trial);
// Random search: trial `trial`'s draw from its own stream of the seed: a list's values equally
// likely, a range uniform (log-uniform on a log scale), whole numbers rounded.
Configuration random_configuration(const std::vector<TunedOption>& space, std::uint64_t seed, size_t trial);

// Tree-structured Parzen Estimator (Bergstra et al. 2011) with Optuna's default sampler settings,
// each tuned option on its own (univariate, Optuna 4's default), with Optuna 5's constant liar.
// The first kTpeStartupTrials trials are random search's own draws. After that the trials a
// proposal sees are split by score into the best gamma(n) = min(ceil(0.1 n), 25) ("below", l)
// and the rest ("above", g); for each option kTpeCandidates values are drawn from l and the one
// maximising log l(x) - log g(x) is kept. A trial without a score (a diverged loss) counts as
// the worst. The trials of the proposal's own batch that come before it (running, as far as it
// knows) join "above" (the constant liar), so that a batch's proposals spread out.
constexpr size_t kTpeStartupTrials = 10;
constexpr size_t kTpeCandidates = 24;
constexpr double kTpePriorWeight = 1.0;
constexpr size_t kTpeGammaCap = 25;
// Proposals are made in batches of kTpeBatch: trial t >= kTpeStartupTrials sees exactly the
// trials numbered below tpe_history_end(t) (10 for trials 10-13, 14 for 14-17, ...), and waits
// until they have finished, so the proposals are the same whatever --jobs is. A larger batch
// keeps more cores busy; a smaller one uses more of what was learnt.
constexpr size_t kTpeBatch = 4;
size_t tpe_history_end(size_t trial);

// A Parzen estimator over a space: a mixture of kernels, one per observation plus a prior one
// (last), each a product over the space's options (TPE builds one per option; over several it is
// Optuna's multivariate estimator). A point is in
// the search's internal space: a range's value as its log on a log scale, a list's as the index
// of its value. A range's kernel is a Gaussian truncated to [low, high] (whole numbers widened by
// 0.5 each side): its center the observation, its sigma the larger distance to its neighbouring
// observations (the outermost: the distance to its one neighbour; a lone one: to the farther
// end), clipped to [width / min(100, 2 + observations), width] (Optuna's "magic clip"); the
// prior's center is the range's, its sigma the width. A whole number's density is the mass of
// its rounded cell. A list's kernel gives the observed value 1 and every value
// kTpePriorWeight / (observations + 1), normalised; the prior's is uniform.
struct ParzenEstimator {
  struct Dimension {
    const TunedOption* option = nullptr;
    double low = 0, high = 0;               // a range's internal bounds
    std::vector<double> mu, sigma;          // a range's, per kernel
    std::vector<std::vector<double>> p;     // a list's, per kernel: each value's probability
  };
  std::vector<Dimension> dims;
  std::vector<double> weight;  // per kernel, summing to 1
  double log_pdf(const std::vector<double>& x) const;
  // A kernel by its weight, then each option from it; whole numbers rounded (in internal space).
  std::vector<double> sample(Rng& rng) const;
};
// `observations`: points in internal space, oldest first; `weights`: each one's, before the
// prior's kTpePriorWeight is added and all normalised.
ParzenEstimator parzen_estimator(const std::vector<TunedOption>& space,
                                 const std::vector<std::vector<double>>& observations,
                                 const std::vector<double>& weights);
// A configuration's value of option `o` in internal space, and back.
double tpe_internal(const TunedOption& o, double value);
double tpe_external(const TunedOption& o, double x);
// Optuna's default observation weights, oldest first: 1 for the newest 25, a ramp from 1/n to 1
// for older ones.
std::vector<double> tpe_weights(size_t n);

struct TrialResult;
// TPE's proposal for `trial` from `history` (the finished trials it may see, any order); the
// trials from tpe_history_end(trial) up to it are proposed again from the same history, as the
// running ones it lies about.
Configuration tpe_configuration(const std::vector<TunedOption>& space, std::uint64_t seed,
                                size_t trial, const std::vector<TrialResult>& history,
                                bool minimise);

// The rows trials train and are scored on: `tune_pct` of the training part, drawn by the seed's
// own stream (not the split's), validates; the rest trains in the training part's order. Row
// numbers are the training part's (train_rows, valid_rows index into `training_part`).
TrainValidSplit carve_tuning_split(const RatingSet& training_part, double tune_pct, std::uint64_t seed);

struct TrialResult {
  int trial = 0;
  Configuration values;
  double score = 0;       // NaN when the trial's loss diverged
  int epochs = 0;
  bool pruned = false;    // stopped at a rung (--prune); score and epochs are the rung's
  double seconds = 0;
  size_t train_rows = 0;  // the rows the trial trained on (with folds: fold 0's)
  size_t tune_rows = 0;   // the rows it was scored on (with folds: fold 0's)
  std::vector<double> rungs;  // --prune: the score at each rung the trial reached
  int folds = 0;          // inner cross-validation: the score is the mean over this many folds
  double score_std = 0;   // with folds: the folds' scores' population standard deviation
  bool resumed = false;   // read from the journal, not run
};

// The best finished trial: the lowest (or highest) finite score of a trial not pruned, the
// earliest trial on a tie; -1 when no such trial has a finite score.
int best_trial(const std::vector<TrialResult>& results, bool minimise);

// ASHA pruning (Li et al. 2020), asynchronous successive halving with reduction factor eta = 3
// and a minimum of one epoch: a trial of E epochs reaches a rung after epochs 1, 3, 9, 27, ...
// below E, each on its own full one-cycle schedule, and is scored there. It goes on when its
// score is among the best of the rung's, by Optuna's SuccessiveHalvingPruner rule: among the
// n rung scores so far (its own included), at least as good as the max(n / eta, 1)-th best.
// Deterministic: "so far" means the trials numbered below it, and a trial waits at a rung until
// each of those has reached the rung or ended, so the decisions do not depend on --jobs (each
// lower trial was handed out before it: the wait cannot deadlock).
constexpr int kAshaEta = 3;
bool is_rung_epoch(int epochs_done);  // 1, 3, 9, 27, ...
// The rule itself: whether `score` goes on among `rivals`, the finite rung scores of the trials
// numbered below it and its own.
bool asha_promotes(double score, std::vector<double> rivals, bool minimise);

// Where a search keeps its rungs: in this process (AshaRungs), or in the ranks' store
// (shared_rungs, train/trial_queue.h).
class TrialRungs {
 public:
  virtual ~TrialRungs() = default;
  // A trial read from a journal: its rung scores, and it has ended.
  virtual void add_finished(const TrialResult& r) = 0;
  // Records `trial`'s score at its rung `rung` (0, 1, ...), waits for the lower trials, and
  // says whether the trial goes on.
  virtual bool promote(int trial, size_t rung, double score) = 0;
  // The trial reports no more rungs (finished, pruned, diverged or failed); wakes the waiters.
  virtual void ended(int trial) = 0;
  // The search is failing or stopping (a trial threw, so a lower trial may never be run): no
  // trial waits any longer, and none goes on past a rung.
  virtual void abandon() = 0;
};

class AshaRungs final : public TrialRungs {
 public:
  explicit AshaRungs(bool minimise) : minimise_(minimise) {}
  void add_finished(const TrialResult& r) override;
  bool promote(int trial, size_t rung, double score) override;
  void ended(int trial) override;
  void abandon() override;

 private:
  const bool minimise_;
  std::mutex lock_;
  std::condition_variable changed_;
  std::map<int, std::vector<double>> scores_;  // by trial, a score per rung reached
  std::set<int> ended_;
  bool abandoned_ = false;
};

class TrialQueue;

struct SearchSettings {
  SearchKind kind = SearchKind::random;
  int trials = 20;            // at most this many (grid: at most the grid's size)
  double time_budget_s = 0;   // 0: none; else no trial starts after this many seconds (but the first)
  int jobs = 1;               // trials at once, each on its own std::thread
  // Across ranks: the workers of all the ranks on rank 0's machine (0: rank 0's own jobs), so
  // that rank 0 sees a core of its machine idle when fewer trials than that run (on_idle_core).
  int workers_here = 0;
  std::uint64_t seed = 0;
  bool minimise = true;  // TPE: which scores are better
  // The order trials are handed out in (a permutation of the trial numbers); empty: by number.
  // Rows are reported in trial order whatever it is.
  std::vector<int> order;
  // Across processes: the trials come from this queue in the ranks' store (train/trial_queue.h),
  // and rank 0 alone reports them (on_finished, on_ordered) and returns them.
  TrialQueue* queue = nullptr;
};

// How many trials the search has: --trials, and for grid search at most the grid's size.
size_t search_size(const std::vector<TunedOption>& space, const SearchSettings& settings);
// Longest first: grid and random search know every configuration in advance, so their trials
// can be handed out by decreasing `cost` (ties by number), leaving short ones to end the search
// and no core waiting long for the last. Empty (by number) for TPE, whose proposals wait for
// earlier trials, and wherever the order must be the trials' own: with ASHA's rungs (a trial
// waits for every lower one) or a time budget (the trials run are the first ones).
std::vector<int> longest_first(const std::vector<TunedOption>& space, const SearchSettings& settings,
                               const std::function<double(const Configuration&)>& cost);
// The trials a proposal for `trial` must see: those numbered below this (0: none).
size_t proposal_history_end(const SearchSettings& settings, size_t trial);
// Trial `trial`'s configuration, from `history` (exactly the trials below proposal_history_end).
Configuration propose(const std::vector<TunedOption>& space, const SearchSettings& settings, size_t trial,
                      const std::vector<TrialResult>& history);

struct SearchCallbacks {
  // Runs one trial (on a worker thread: it must not touch shared state unguarded).
  std::function<TrialResult(int trial, const Configuration& values)> run_trial;
  // Each newly finished trial, as soon as it finishes, one call at a time (the journal).
  std::function<void(const TrialResult&)> on_finished;
  // Every trial, resumed or new, in trial order, one call at a time (the printed rows).
  std::function<void(const TrialResult&)> on_ordered;
  // Polled before each trial starts: true stops the search (Ctrl-C).
  std::function<bool()> should_stop;
  // At most once, on the process that reports (rank 0), when every trial has been handed out and
  // a core of its machine is idle (a worker found nothing to take while others run): the best
  // finished trial so far, which the caller may start retraining on a thread of its own in case
  // it stays the best. It must return at once.
  std::function<void(const TrialResult&)> on_idle_core;
};

// Runs the search: the trials in `done` (a journal's, by trial number) are not run again; the
// rest are taken from one queue by `settings.jobs` threads (of each rank, with settings.queue).
// Returns every trial in trial order (none on ranks other than 0). An exception from run_trial
// stops the search (every rank's) and is rethrown once the workers have ended.
std::vector<TrialResult> run_search(const std::vector<TunedOption>& space, const SearchSettings& settings,
                                    const std::vector<TrialResult>& done, const SearchCallbacks& callbacks);
// The search across ranks (tuning_ranks.cpp); run_search calls it when settings.queue is set.
std::vector<TrialResult> run_rank_search(const std::vector<TunedOption>& space, const SearchSettings& settings,
                                         const std::vector<TrialResult>& done, const SearchCallbacks& callbacks);

// The journal: a JSON line per finished trial, each carrying `search`, the fingerprint of what
// makes a search the same one (data, split, space, seed, metric, fixed options).
std::string journal_line(const std::vector<TunedOption>& space, const std::string& search, const TrialResult& r);
// Reads FILE's trials (none when it does not exist). A data error (65) naming the file and line
// for a line of another search or one that is not a trial; a last line without its newline (a
// run killed while writing it) is skipped with a note on stderr.
std::vector<TrialResult> read_journal(const std::string& path, const std::vector<TunedOption>& space,
                                      const std::string& search);
// One journal line back as a trial (not marked resumed); a data error (65) starting with `where`
// for a line of another search or one that is not a trial. Numbers come back bit for bit.
TrialResult parse_journal_line(const std::string& line, const std::vector<TunedOption>& space,
                               const std::string& search, const std::string& where);
// Appends one line and fsyncs it; cannot_write (73) when it fails.
void append_journal(const std::string& path, const std::string& line);

}  // namespace collab
