#include "pipeline/pipeline.h"

#include <type_traits>

#include "support/error.h"
#include "support/hash.h"
#include "pipeline/engine_factory.h"
#include "pipeline/rank_local.h"
#include "train/split_membership.h"
#include "train/fit_passes.h"

namespace collab {
namespace {

bool sharded(const TrainingRequest& r) {
  return r.communicator && r.communicator->world_size() > 1 && resolved_dist_mode(r.options) == DistMode::shard;
}

}  // namespace

std::unique_ptr<PreparedTraining> prepare_training(const TrainingRequest& request) {
  if (loads_rank_local(request)) return prepare_rank_local_training(request);
  FilterReport filtered;
  auto run = prepare_training_from(request, load_filtered(request.source, request.filters, &filtered));
  run->filtered = filtered;
  return run;
}

std::unique_ptr<PreparedTraining> prepare_training_from(const TrainingRequest& request, EncodedRatings data) {
  const SplitSpec& spec = request.split;
  TrainValidSplit split = split_ratings(data, spec, request.options.seed);
  check_split_sizes(spec, data.size(), split.train.size(), split.valid.size());
  return prepare_training_on(request, std::move(data), std::move(split));
}

void check_split_sizes(const SplitSpec& spec, size_t ratings, size_t train, size_t valid) {
  if (asks_for_validation(spec) && valid == 0)
    throw data_error("the " + split_name(spec.kind) + " split leaves the validation set empty (" +
                     std::to_string(ratings) + " ratings)");
  if (train == 0) throw data_error("the " + split_name(spec.kind) + " split leaves no rating to train on");
}

std::unique_ptr<PreparedTraining> prepare_training_on(const TrainingRequest& request, EncodedRatings data,
                                                      TrainValidSplit split) {
  return prepare_training_on(request, std::move(data), std::move(split), std::make_unique<PreparedTraining>());
}

size_t PreparedTraining::ratings() const { return rank_local ? rank_local->ratings : data.size(); }
size_t PreparedTraining::train_ratings() const { return rank_local ? rank_local->train : split.train.size(); }
size_t PreparedTraining::valid_ratings() const { return rank_local ? rank_local->valid : split.valid.size(); }

std::unique_ptr<PreparedTraining> prepare_training_on(const TrainingRequest& request, EncodedRatings data,
                                                      TrainValidSplit split, std::unique_ptr<PreparedTraining> run) {
  const TrainOptions& t = request.options;
  run->data = std::move(data);
  run->split = std::move(split);
  if (sharded(request) && run->split_membership.empty()) run->split_membership = membership_fingerprint(run->data, run->split);
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
  const ModelShape& shape = run->setup.shape =
      model_shape(t.model, static_cast<std::int64_t>(run->data.vocabulary.user_rows()),
                  static_cast<std::int64_t>(run->data.vocabulary.item_rows()));
  run->setup.data = &run->split;
  run->setup.options = t;
  run->setup.communicator = request.communicator;
  if (t.model.arch != Arch::nn) run->setup.initial = initial_embedding_weights(shape, t.init_std, t.seed);
  if (!request.checkpoint_dir.empty()) {
    run->setup.checkpoint_dir = request.checkpoint_dir;
    run->setup.checkpoint_key = training_fingerprint(*run, request);
  }
  run->engine = make_engine(run->setup, request.device, request.engine);
  Weights().tensors.swap(run->setup.initial.tensors);  // the engine has its copy
  return run;
}

SavedModel train_model(PreparedTraining& run, const TrainingRequest& request, const FitHooks& hooks) {
  SavedModel model;
  model.history = run.engine->fits_by_passes()
                      ? fit_by_passes(*run.engine, request.options, hooks)
                      : fit_one_cycle(*run.engine, run.split.train.size(), request.options, hooks,
                                      asks_for_validation(request.split));
  model.shape = run.setup.shape;
  model.options = request.options;
  model.source = request.source;
  model.filters = request.filters;
  model.split = request.split;
  if (run.rank_local) model.split_membership = run.split_membership;
  else model.split_rows = split_fingerprint(run.split);
  model.device = run.engine->device_name();
  model.weights = run.engine->weights();
  // The engine's rows, ratings and epoch orders (600 MB at ml-25m's size) are not needed for the
  // index and the model file that follow, where a train process peaks.
  run.engine.reset();
  const bool writes_model = !request.communicator || request.communicator->rank() == 0;
  if (!run.rank_local) index_training_rows(run.split.train, run.data.vocabulary.user_rows(), model);
  else if (writes_model) index_rank_local_training_rows(*run.rank_local, model);
  model.vocabulary = std::move(run.data.vocabulary);
  return model;
}

namespace {

template <class T>
void hash_value(Hasher& f, T v) {
  static_assert(std::is_trivially_copyable_v<T>);
  f.update(&v, sizeof v);
}

// The request's options, for training_fingerprint.
void hash_training_options(Hasher& f, const TrainingRequest& r) {
  auto value = [&f](auto v) { hash_value(f, v); };
  // Every option that changes a bit of training. Not --threads, nor deferring exact mode's
  // updates: both leave every bit as it is (held so by the engine's tests). Not the data's paths
  // either (the same files may live elsewhere on another machine): their contents follow.
  const TrainOptions& o = r.options;
  value(o.model.arch);
  value(o.epochs);
  value(o.lr);
  value(o.wd);
  value(o.batch_size);
  value(o.model.factors);
  value(o.model.y_low);
  value(o.model.y_high);
  value(r.split.valid_pct);  // where the options held a copy of it: the same hash as before
  value(o.seed);
  f.column(o.model.layers);
  value(o.optimizer);
  value(o.init_std);
  value(o.beta2);
  value(o.eps);
  value(o.smooth_beta);
  value(r.split.kind);
  value(r.split.valid_pct);
  value(r.split.valid_last);
  value(r.split.test_pct);
  f.text(filter_options_text(r.filters));
  f.text(r.engine);
  f.text(r.device);
  value(resolved_dist_mode(o));
  value(r.communicator ? r.communicator->world_size() : 1);
  // Since BPR and ALS train across processes (other runs keep their hashes).
  if (o.loss == Loss::bpr) {
    value(o.loss);
    value(o.negatives);
    value(o.model.implicit);
    value(o.positive_rating);
  }
  if (o.optimizer == OptimizerKind::als) {
    value(o.model.implicit);
    value(o.positive_rating);
    value(o.alpha);
    value(o.cg_steps);
  }
}

}  // namespace

std::uint64_t training_fingerprint(const PreparedTraining& run, const TrainingRequest& r) {
  // A guard against mistakes (ranks given other options or data), not against a rank that lies:
  // a rank can always send the hash it is expected to.
  Hasher f;
  auto value = [&f](auto v) { hash_value(f, v); };
  hash_training_options(f, r);
  // The users and items, the titles the model will carry, and every rating of the split, train
  // and validation, in the order training meets them.
  const Vocabulary& v = run.data.vocabulary;
  value(run.ratings());
  value(v.item_key);
  f.column(v.user_ids);
  value(v.item_titles.size());
  for (const std::string& title : v.item_titles) f.text(title);
  f.column(v.item_movie_ids);
  // A rank that holds only its own users' ratings knows the split by its rows' roles: sharded
  // training hashes that, whichever way a rank loaded.
  if (sharded(r)) {
    f.text(run.split_membership);
    return f.digest();
  }
  for (const RatingSet* set : {&run.split.train, &run.split.valid}) {
    f.column(set->user);
    f.column(set->item);
    f.column(set->rating);
  }
  return f.digest();
}

}  // namespace collab
