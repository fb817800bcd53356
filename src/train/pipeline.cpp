#include "train/pipeline.h"

#include "support/error.h"
#include "train/engine_factory.h"
#include "train/fit_passes.h"

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
  shape.implicit = t.implicit;
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
  model.history = run.engine->fits_by_passes() ? fit_by_passes(*run.engine, request.options, hooks)
                                               : fit_one_cycle(*run.engine, run.split.train.size(), request.options, hooks);
  model.shape = run.setup.shape;
  model.options = request.options;
  model.dataset = request.source.description;
  model.source = request.source;
  model.split = request.split;
  model.split.seed = request.options.seed;
  model.device = run.engine->device_name();
  model.weights = run.engine->weights();
  // The engine's rows, ratings and epoch orders (600 MB at ml-25m's size) are not needed for the
  // index and the model file that follow, where a train process peaks.
  run.engine.reset();
  index_training_rows(run.split.train, run.data.vocabulary.user_rows(), model);
  model.vocabulary = std::move(run.data.vocabulary);
  return model;
}

std::uint64_t training_fingerprint(const PreparedTraining& run, const TrainingRequest& r) {
  const TrainOptions& o = r.options;
  std::string text = arch_name(o.arch) + " " + optimizer_name(o.optimizer) + " " + std::to_string(o.epochs) + " " +
                     std::to_string(o.lr) + " " + std::to_string(o.wd) + " " + std::to_string(o.batch_size) + " " +
                     std::to_string(o.factors) + " " + std::to_string(o.y_low) + " " + std::to_string(o.y_high) + " " +
                     std::to_string(o.seed) + " " + split_name(r.split.kind) + " " + std::to_string(r.split.valid_pct) +
                     " " + std::to_string(r.split.valid_last) + " " + r.split.valid_ratings + " " + r.engine + " " +
                     r.device + " " + std::to_string(run.data.size()) + " " + std::to_string(run.split.train.size());
  double sum = 0;
  for (float x : run.split.train.rating) sum += x;
  for (auto u : run.split.train.user) sum += u * 1e-3;
  text += " " + std::to_string(sum);
  std::uint64_t h = 1469598103934665603ull;  // FNV-1a
  for (unsigned char c : text) h = (h ^ c) * 1099511628211ull;
  return h;
}

}  // namespace collab
