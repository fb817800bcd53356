#include "train/pipeline.h"

#include "train/engine_factory.h"

namespace collab {

std::unique_ptr<PreparedTraining> prepare_training(const TrainingRequest& request) {
  auto run = std::make_unique<PreparedTraining>();
  const TrainOptions& t = request.options;
  run->data = load_data_source(request.source);
  run->split = random_split(run->data, t.valid_pct, t.seed);
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
  model.device = run.engine->device_name();
  model.weights = run.engine->weights();
  index_training_rows(run.split.train, run.data.vocabulary.user_rows(), model);
  model.vocabulary = std::move(run.data.vocabulary);
  return model;
}

}  // namespace collab
