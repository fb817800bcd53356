#include "train/pipeline.h"

#include <cstring>
#include <type_traits>

#include "support/error.h"
#include "train/engine_factory.h"

namespace collab {

std::unique_ptr<PreparedTraining> prepare_training(const TrainingRequest& request) {
  EncodedRatings data = load_data_source(request.source);
  SplitSpec spec = request.split;
  spec.seed = request.options.seed;
  TrainValidSplit split = split_ratings(data, spec);
  const bool asked_for_validation = spec.kind != SplitKind::random || spec.valid_pct > 0;
  if (asked_for_validation && split.valid.size() == 0)
    throw data_error("the " + split_name(spec.kind) + " split leaves the validation set empty (" +
                     std::to_string(data.size()) + " ratings)");
  if (split.train.size() == 0) throw data_error("the " + split_name(spec.kind) + " split leaves no rating to train on");
  return prepare_training_on(request, std::move(data), std::move(split));
}

std::unique_ptr<PreparedTraining> prepare_training_on(const TrainingRequest& request, EncodedRatings data,
                                                      TrainValidSplit split) {
  auto run = std::make_unique<PreparedTraining>();
  const TrainOptions& t = request.options;
  run->data = std::move(data);
  run->split = std::move(split);
  // Only splitting needs each rating's user, item, timestamp and own movieId (the split has its
  // own copies), and only eval and collab split the split's row numbers: 600 MB at ml-25m's size
  // that training does without. The ratings stay: they say how many there were.
  // (Assigning {} would keep the capacity: swap with empty vectors to give the memory back.)
  std::vector<std::int32_t>().swap(run->data.user);
  std::vector<std::int32_t>().swap(run->data.item);
  std::vector<std::int64_t>().swap(run->data.timestamp);
  std::vector<std::int32_t>().swap(run->data.movie_id);
  std::vector<std::int32_t>().swap(run->split.train_rows);
  std::vector<std::int32_t>().swap(run->split.valid_rows);
  ModelShape& shape = run->setup.shape;
  shape.arch = t.arch;
  shape.n_users = static_cast<std::int64_t>(run->data.vocabulary.user_rows());
  shape.n_items = static_cast<std::int64_t>(run->data.vocabulary.item_rows());
  shape.factors = t.factors;
  shape.y_low = t.y_low;
  shape.y_high = t.y_high;
  if (t.arch == Arch::nn) shape.layers = t.layers;
  run->setup.data = &run->split;
  run->setup.options = t;
  run->setup.communicator = request.communicator;
  if (t.arch != Arch::nn) run->setup.initial = initial_embedding_weights(shape, t.init_std, t.seed);
  run->engine = make_engine(run->setup, request.device, request.engine);
  return run;
}

SavedModel train_model(PreparedTraining& run, const TrainingRequest& request, const FitHooks& hooks) {
  SavedModel model;
  model.history = fit_one_cycle(*run.engine, run.split.train.size(), request.options, hooks);
  model.shape = run.setup.shape;
  model.options = request.options;
  model.dataset = request.source.description;
  model.source = request.source;
  model.split = request.split;
  model.split.seed = request.options.seed;
  model.split_rows = split_fingerprint(run.split);
  model.device = run.engine->device_name();
  model.weights = run.engine->weights();
  // The engine's rows, ratings and epoch orders (600 MB at ml-25m's size) are not needed for the
  // index and the model file that follow, where a train process peaks.
  run.engine.reset();
  index_training_rows(run.split.train, run.data.vocabulary.user_rows(), model);
  model.vocabulary = std::move(run.data.vocabulary);
  return model;
}

namespace {

// A 64-bit hash fed whole values, each length-prefixed so that where one ends is hashed too. It
// takes eight bytes at a time (FNV-1a's multiply, then a shift to spread the high bits down), as
// ml-25m's 25 million ratings are 300 MB to hash. It guards against mistakes, not
// against a rank that lies: a rank can always send the hash it is expected to.
class Fingerprint {
 public:
  void bytes(const void* data, size_t n) {
    word(n);
    const auto* p = static_cast<const unsigned char*>(data);
    for (; n >= 8; p += 8, n -= 8) {
      std::uint64_t w;
      std::memcpy(&w, p, 8);
      word(w);
    }
    std::uint64_t tail = 0;
    if (n > 0) std::memcpy(&tail, p, n);
    word(tail);
  }
  void text(const std::string& s) { bytes(s.data(), s.size()); }
  template <class T>
  void value(T v) {
    static_assert(std::is_trivially_copyable_v<T>);
    bytes(&v, sizeof v);
  }
  template <class T>
  void column(const std::vector<T>& v) {
    static_assert(std::is_trivially_copyable_v<T>);
    bytes(v.data(), v.size() * sizeof(T));
  }
  void ratings(const RatingSet& s) {
    column(s.user);
    column(s.item);
    column(s.rating);
  }
  std::uint64_t hash() const { return h_; }

 private:
  void word(std::uint64_t w) {
    h_ = (h_ ^ w) * 1099511628211ull;
    h_ ^= h_ >> 29;
  }
  std::uint64_t h_ = 1469598103934665603ull;
};

}  // namespace

std::uint64_t training_fingerprint(const PreparedTraining& run, const TrainingRequest& r) {
  Fingerprint f;
  // Every option that changes a bit of training. Not --threads, nor deferring exact mode's
  // updates: both leave every bit as it is (held so by the engine's tests). Not the data's paths
  // either (the same files may live elsewhere on another machine): their contents follow.
  const TrainOptions& o = r.options;
  f.value(o.arch);
  f.value(o.epochs);
  f.value(o.lr);
  f.value(o.wd);
  f.value(o.batch_size);
  f.value(o.factors);
  f.value(o.y_low);
  f.value(o.y_high);
  f.value(o.valid_pct);
  f.value(o.seed);
  f.column(o.layers);
  f.value(o.optimizer);
  f.value(o.init_std);
  f.value(o.beta2);
  f.value(o.eps);
  f.value(o.smooth_beta);
  f.value(r.split.kind);
  f.value(r.split.valid_pct);
  f.value(r.split.valid_last);
  f.text(r.engine);
  f.text(r.device);
  // The users and items, the titles the model will carry, and every rating of the split, train
  // and validation, in the order training meets them.
  const Vocabulary& v = run.data.vocabulary;
  f.value(run.data.size());
  f.value(v.item_key);
  f.column(v.user_ids);
  f.value(v.item_titles.size());
  for (const std::string& title : v.item_titles) f.text(title);
  f.column(v.item_movie_ids);
  f.ratings(run.split.train);
  f.ratings(run.split.valid);
  return f.hash();
}

}  // namespace collab
