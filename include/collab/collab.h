// collab's C++ API: ratings in memory, training with fastai's defaults, splits, evaluation,
// cross-validation, and a trained model's answers (predictions, top-k lists, biases, similar
// items, factors). The collab command is built on the same calls. docs/api.md has an example.
//
// Plain types and free functions, in LIBMF's manner; no LibTorch, CLI11 or internal type is
// reachable from here. Every failure throws collab::Error (collab/error.h). Link with
// find_package(collab) and collab::collab, or `pkg-config --cflags --libs collab`.
#pragma once

#include <cstdint>
#include <functional>
#include <map>
#include <memory>
#include <string>
#include <vector>

#include "collab/error.h"

namespace collab {

// The library's version, "MAJOR.MINOR.PATCH"; the soname carries MAJOR.
COLLAB_API std::string version();

// ---- ratings ----

// A table of ratings, one row per (user, movie) pair, as MovieLens' ratings.csv holds them.
// With titles, items are keyed by title (movies sharing a title are one item, and ratings of a
// movieId without a title are left out, like fastai's pd.merge); without, by movieId.
struct Ratings {
  std::vector<std::int32_t> user_id;
  std::vector<std::int32_t> movie_id;
  std::vector<float> rating;
  std::vector<std::int64_t> timestamp;         // empty, or one per rating (seconds since 1970)
  std::map<std::int32_t, std::string> titles;  // movieId -> title; may be empty

  std::size_t size() const { return rating.size(); }
  void add(std::int32_t user, std::int32_t movie, float value) {
    user_id.push_back(user), movie_id.push_back(movie), rating.push_back(value);
  }
  void add(std::int32_t user, std::int32_t movie, float value, std::int64_t time) {
    add(user, movie, value), timestamp.push_back(time);
  }
};

// ratings.csv (userId,movieId,rating[,timestamp]) and, unless empty, movies.csv (movieId,title,...)
// in ml-latest-small's format. Bad input: Error(data) naming the file, line and field.
COLLAB_API Ratings read_ratings(const std::string& ratings_csv, const std::string& movies_csv = "");
// A registered GroupLens set ("ml-latest-small", "ml-100k", "ml-1m", "ml-25m", ...) with its
// titles, downloaded into data_dir when missing ("": $COLLAB_DATA_DIR, else ./data).
COLLAB_API Ratings load_dataset(const std::string& name, const std::string& data_dir = "");

// ---- splits ----

struct SplitOptions {
  // random (fastai's RandomSplitter), time (the latest ratings), user-last (each user's latest
  // valid_last), user-random or user-time (each user's share): docs/experiments.md.
  std::string kind = "random";
  double valid_pct = 0.2;  // random, time, user-random, user-time; 0 with random: no validation
  double test_pct = 0;     // the same four: a share held out of training and validation
  int valid_last = 1;      // user-last
  std::uint64_t seed = 0;  // the permutation (also orders the training rows)
};

struct Split {
  Ratings train, valid, test;  // each with the input's titles
};

// The rows of `ratings` divided as `options` asks, as `collab split` writes them.
COLLAB_API Split split(const Ratings& ratings, const SplitOptions& options);

// ---- training ----

// Defaults are fastai's collab_learner and fit_one_cycle, as the book's deep dive trains.
struct TrainingOptions {
  std::string arch = "dot-bias";  // dot, dot-range, dot-bias, nn, popularity, baseline
  int epochs = 5;
  double lr = 5e-3;  // one-cycle's peak learning rate
  double wd = 0.1;   // decoupled weight decay
  int batch_size = 64;
  int factors = 50;
  float y_low = 0.0f, y_high = 5.5f;  // sigmoid_range(x, y_low, y_high)
  std::vector<int> layers;            // nn: hidden sizes (empty: {factors})
  std::string optimizer = "adam";     // adam (exact), sparse-adam, als (with implicit)
  std::string loss = "mse";           // mse, bpr (with implicit)
  bool implicit = false;              // ratings >= positive_rating are interactions
  float positive_rating = 0.0f;
  int negatives = 4;           // bpr: negatives per positive
  double alpha = 0.5;          // als: confidence 1 + alpha * rating
  int cg_steps = 3;            // als: conjugate-gradient steps per row
  std::uint64_t seed = 0;      // the split, the initial weights and the batches
  int threads = 0;             // 0: collab chooses (no result depends on it)
  std::string device = "cpu";  // cpu, cuda, auto (cuda needs a CUDA build)
  SplitOptions split;          // the validation rows (split.seed is replaced by seed)
};

// The options `collab train --arch A --optimizer O --loss L` trains with: fastai's for the rating
// models, one pass for popularity, Surprise's 10 for baseline, the settings measured in
// docs/experiments.md for BPR (40 epochs, lr 1e-2, wd 0.2, bs 256, 64 factors) and implicit ALS.
COLLAB_API TrainingOptions options_for(const std::string& arch,
                                       const std::string& optimizer = "adam",
                                       const std::string& loss = "mse");

// One line of fastai's epoch table.
struct Epoch {
  int epoch = 0;
  double train_loss = 0, valid_loss = 0;  // valid_loss: NaN without validation rows
  double seconds = 0;
};

class Model;
// Trains a model on `ratings` (split by options.split; valid_pct 0 trains on every row), calling
// `on_epoch` after each epoch. Error(usage) for options no trainer takes, Error(data) for bad
// ratings or a loss that stops being finite.
COLLAB_API Model train(const Ratings& ratings, const TrainingOptions& options = {},
                       const std::function<void(const Epoch&)>& on_epoch = {});

// ---- a trained model ----

struct ItemScore {
  std::int32_t movie_id;  // the item's (smallest) movieId
  std::string title;      // its key: the title, or the movieId as text
  double score;           // a predicted rating, a bias, a similarity or a ranking score
};

struct UserScore {
  std::int32_t user_id;
  double score;  // a bias
};

// What a list takes besides its length: the reading verbs' --top, --include-untrained, --threads.
struct ListOptions {
  std::size_t k = 10;  // how many (biases: at each end)
  // Also items (or users) seen only in validation rows: never trained, they keep their near-zero
  // initial values (fastai lists them; collab leaves them out unless asked).
  bool include_untrained = false;
  int threads = 0;  // recommend_all: 0: every core this process may use
};

class COLLAB_API Model {
 public:
  // A model file as `collab train` writes it. Error(no_input) when missing, Error(data) when not
  // a model or damaged.
  static Model load(const std::string& path);
  // Written to a temporary name and renamed into place.
  void save(const std::string& path) const;

  std::string kind() const;  // the arch, "+bpr" or "+als" when trained so: "dot-bias", "dot+bpr"
  bool predicts_ratings() const;  // false for ranking models: their scores only order items
  std::vector<Epoch> history() const;
  std::vector<std::int32_t> users() const;  // userIds, ascending
  std::vector<ItemScore> items() const;     // every item in the model's order, score 0
  // The options it was trained with (its device is not recorded: "cpu"; split.seed is seed).
  TrainingOptions options() const;

  // Items are named by title (matched as `collab similar` does: exact, then ignoring case, year
  // and article) or, for movieId-keyed models, by movieId. Unknown names: Error(data).
  ItemScore item(const std::string& name) const;  // the item a name matches, score 0
  double predict(std::int32_t user_id, const std::string& item) const;
  // One prediction per row of `pairs` (its rating column is ignored); unknown users or movieIds
  // get the untrained row's value, as `collab eval` does.
  std::vector<double> predict(const Ratings& pairs) const;

  // The k best items the user did not rate in training.
  std::vector<ItemScore> recommend(std::int32_t user_id, std::size_t k = 10) const;
  std::vector<ItemScore> recommend(std::int32_t user_id, const ListOptions& list) const;
  // The same for every trained user, in userId order, each list handed to `emit` as it is made.
  void recommend_all(
      std::size_t k,
      const std::function<void(std::int32_t user_id, const std::vector<ItemScore>&)>& emit) const;
  void recommend_all(
      const ListOptions& list,
      const std::function<void(std::int32_t user_id, const std::vector<ItemScore>&)>& emit) const;
  // For someone the model has not met, from (item, rating) pairs: their factors are fitted with
  // the items held fixed, as `collab recommend --ratings-of` does. Embedding models only.
  std::vector<ItemScore> recommend_new_user(
      const std::vector<std::pair<std::string, float>>& ratings, std::size_t k = 10) const;
  // The same for a person's ratings in a CSV file (title,rating or movieId,rating), as
  // `--ratings-of FILE` reads them (errors name the file and line); and their predicted rating.
  std::vector<ItemScore> recommend_from_file(const std::string& ratings_csv,
                                             const ListOptions& list) const;
  double predict_from_file(const std::string& ratings_csv, const std::string& item) const;

  // The items with the lowest and the highest learned biases, top of each.
  struct Biases {
    std::vector<ItemScore> lowest, highest;
  };
  Biases biases(std::size_t top) const;
  Biases biases(const ListOptions& list) const;
  // The users with the lowest and the highest learned biases.
  struct UserBiases {
    std::vector<UserScore> lowest, highest;
  };
  UserBiases user_biases(const ListOptions& list) const;
  // Items whose factors are closest (cosine) to the item's.
  std::vector<ItemScore> similar(const std::string& item, std::size_t k = 10) const;
  std::vector<ItemScore> similar(const std::string& item, const ListOptions& list) const;
  // The item's learned factors.
  std::vector<float> factors(const std::string& item) const;
  // The book's PCA of the item factors, over the most_rated items with the most training ratings
  // (0: every trained item), as `collab factors` computes it.
  struct Pca {
    std::vector<ItemScore> items;                  // most rated first, score 0
    std::vector<std::vector<double>> coordinates;  // [item][component]
    std::vector<double> explained_variance;        // share of the variance, per component
  };
  Pca pca(int components, std::size_t most_rated = 1000) const;

  struct State;  // the model file's contents (private)
  explicit Model(std::shared_ptr<const State> state);
  const State& state() const { return *state_; }

 private:
  std::shared_ptr<const State> state_;
};

// ---- evaluation ----

struct Metrics {
  double mse = 0, rmse = 0, mae = 0;  // NaN for models that do not predict ratings
  // Of each user's top-k list of items unrated in training, against the rows' items rated at or
  // above relevant_rating: means over users, as `collab eval` reports them.
  double precision = 0, recall = 0, ndcg = 0, map = 0, hit_rate = 0, coverage = 0;
  // Counts (in a cross-validation's mean and std, rounded): users ranked, and rows whose user or
  // item the model never trained on.
  std::size_t users = 0, cold_users = 0, cold_items = 0;
};

struct EvaluationOptions {
  int k = 10;                  // the length of the top-k lists
  double relevant_rating = 0;  // a row's item is relevant to its user at or above this rating
  int threads = 0;             // 0: every core
};

// The model's metrics on `rows` (users and movieIds it does not know count as cold).
COLLAB_API Metrics evaluate(const Model& model, const Ratings& rows,
                            const EvaluationOptions& options = {});

struct CrossValidation {
  std::vector<Metrics> folds;
  Metrics mean, std;  // over the folds (population standard deviation, as Surprise)
};

// k-fold cross-validation (KFold with shuffling by options.seed, as Surprise's cross_validate):
// each rating validates in exactly one fold; options.split is not used.
COLLAB_API CrossValidation cross_validate(const Ratings& ratings, const TrainingOptions& options,
                                          int folds = 5, const EvaluationOptions& evaluation = {});

}  // namespace collab
