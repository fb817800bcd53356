// The public API's training, evaluation and cross-validation: the pipeline's calls on ratings in
// memory (pipeline/pipeline.h, model/evaluation.h, pipeline/cross_validation.h).
#include <cmath>

#include "api/api_internal.h"
#include "pipeline/cross_validation.h"
#include "model/evaluation.h"
#include "support/error.h"
#include "pipeline/model_kinds.h"
#include "train/split.h"

namespace collab {
namespace {

void require(bool ok, const std::string& field, const std::string& what) {
  if (!ok) throw usage_error("TrainingOptions::" + field + " " + what);
}

// What the command line's validators check, for options a program filled.
TrainOptions train_options_of(const TrainingOptions& o) {
  TrainOptions t;
  t.model.arch = parse_arch(o.arch);
  t.optimizer = parse_optimizer(o.optimizer);
  t.loss = parse_loss(o.loss);
  require(o.epochs >= 1, "epochs", "must be at least 1");
  require(std::isfinite(o.lr) && o.lr > 0, "lr", "must be a positive number");
  require(std::isfinite(o.wd) && o.wd >= 0, "wd", "must be a non-negative number");
  require(o.batch_size >= 1 && o.batch_size <= (1 << 24), "batch_size",
          "must be from 1 to 16777216");
  require(o.factors >= 1 && o.factors <= 4096, "factors", "must be from 1 to 4096");
  require(std::isfinite(o.y_low) && std::isfinite(o.y_high) && o.y_low < o.y_high, "y_low, y_high",
          "must be finite with y_low < y_high");
  for (int size : o.layers)
    require(size >= 1 && size <= 65536, "layers", "sizes must be from 1 to 65536");
  require(std::isfinite(o.positive_rating), "positive_rating", "must be a finite number");
  require(o.negatives >= 1 && o.negatives <= 1000, "negatives", "must be from 1 to 1000");
  require(std::isfinite(o.alpha) && o.alpha >= 0, "alpha", "must be a non-negative number");
  require(o.cg_steps >= 1 && o.cg_steps <= 1000, "cg_steps", "must be from 1 to 1000");
  require(o.threads >= 0 && o.threads <= 1024, "threads", "must be from 0 to 1024");
  require(o.device == "cpu" || o.device == "cuda" || o.device == "auto", "device",
          "must be cpu, cuda or auto");
  t.epochs = o.epochs, t.lr = o.lr, t.wd = o.wd, t.batch_size = o.batch_size;
  t.model.factors = o.factors;
  t.model.y_low = o.y_low, t.model.y_high = o.y_high;
  t.model.layers =
      o.layers.empty() ? std::vector<int>{o.factors} : o.layers;  // fastai's collab_learner default
  t.model.implicit = o.implicit, t.positive_rating = o.positive_rating, t.negatives = o.negatives;
  t.alpha = o.alpha, t.cg_steps = o.cg_steps;
  t.seed = o.seed, t.threads = o.threads;
  return t;
}

Metrics metrics_of(const FoldResult& r) {
  Metrics m;
  m.mse = r.mse, m.rmse = r.rmse, m.mae = r.mae;
  m.precision = r.precision, m.recall = r.recall, m.ndcg = r.ndcg, m.map = r.map;
  m.hit_rate = r.hit_rate, m.coverage = r.coverage;
  m.users = static_cast<std::size_t>(std::llround(r.users));
  m.cold_users = static_cast<std::size_t>(std::llround(r.cold_users));
  m.cold_items = static_cast<std::size_t>(std::llround(r.cold_items));
  return m;
}

}  // namespace

TrainingOptions options_for(const std::string& arch, const std::string& optimizer,
                            const std::string& loss) {
  TrainOptions t;
  t.model.arch = parse_arch(arch);
  t.optimizer = parse_optimizer(optimizer), t.loss = parse_loss(loss);
  apply_model_kind_defaults(t, [](const char*) { return false; });
  TrainingOptions o;
  o.arch = arch, o.optimizer = optimizer, o.loss = loss;
  o.epochs = t.epochs, o.lr = t.lr, o.wd = t.wd, o.batch_size = t.batch_size;
  o.factors = t.model.factors;
  o.implicit =
      t.loss == Loss::bpr || t.optimizer == OptimizerKind::als;  // they train on interactions only
  return o;
}

TrainingRequest training_request_of(const TrainingOptions& options, ItemKey key) {
  TrainingRequest request;
  request.options = train_options_of(options);
  request.split = split_spec_of(options.split);
  request.device = options.device;
  request.source = csv_files_data_source("", "", key);
  request.source.description = "ratings in memory";
  check_model_kind(request.options, request.device, request.engine, /*distributed=*/false);
  return request;
}

TrainingOptions Model::options() const {
  const SavedModel& m = state_->model;
  const TrainOptions& t = m.options;
  TrainingOptions o;
  o.arch = arch_name(t.model.arch), o.factors = t.model.factors, o.layers = t.model.layers;
  o.y_low = t.model.y_low, o.y_high = t.model.y_high, o.implicit = t.model.implicit;
  o.optimizer = optimizer_name(t.optimizer), o.loss = loss_name(t.loss);
  o.epochs = t.epochs, o.lr = t.lr, o.wd = t.wd, o.batch_size = t.batch_size, o.seed = t.seed;
  o.positive_rating = t.positive_rating, o.negatives = t.negatives, o.alpha = t.alpha;
  o.cg_steps = t.cg_steps, o.threads = t.threads;
  o.split.kind = split_name(m.split.kind), o.split.valid_pct = m.split.valid_pct;
  o.split.test_pct = m.split.test_pct, o.split.valid_last = m.split.valid_last;
  o.split.seed = t.seed;
  return o;
}

Model model_of(SavedModel model) {
  auto state = std::make_shared<Model::State>();
  state->model = std::move(model);
  return Model(std::move(state));
}

Model train(const Ratings& ratings, const TrainingOptions& options,
            const std::function<void(const Epoch&)>& on_epoch) {
  const TrainingRequest request =
      training_request_of(options, ratings.titles.empty() ? ItemKey::movie_id : ItemKey::title);
  auto run = prepare_training_from(request, encode_ratings(ratings));
  FitHooks hooks;
  if (on_epoch)
    hooks.on_epoch = [&](const EpochRecord& e) {
      on_epoch(Epoch{e.epoch, e.train_loss, e.valid_loss, e.seconds});
    };
  SavedModel model = train_model(*run, request, hooks);
  model.has_source = false;  // nothing to read again: eval needs the rows given
  return model_of(std::move(model));
}

Metrics evaluate(const Model& model, const Ratings& rows, const EvaluationOptions& options) {
  if (options.k < 1) throw usage_error("EvaluationOptions::k must be at least 1");
  RatingColumns columns;
  columns.user_id = rows.user_id, columns.movie_id = rows.movie_id, columns.rating = rows.rating;
  if (rows.user_id.size() != rows.size() || rows.movie_id.size() != rows.size())
    throw data_error("evaluation rows: their columns differ in length");
  const Evaluation e =
      evaluate(model.state().model, rows_of_file(model.state().model, columns), options);
  return metrics_of(fold_result(e));
}

CrossValidation cross_validate(const Ratings& ratings, const TrainingOptions& options, int folds,
                               const EvaluationOptions& evaluation) {
  if (folds < 2 || folds > 100) throw usage_error("cross_validate: folds must be from 2 to 100");
  if (evaluation.k < 1) throw usage_error("EvaluationOptions::k must be at least 1");
  const TrainingRequest request =
      training_request_of(options, ratings.titles.empty() ? ItemKey::movie_id : ItemKey::title);
  const EncodedRatings data = encode_ratings(ratings);
  CrossValidation out;
  const std::vector<FoldResult> results =
      cross_validate(request, data, folds, evaluation, FitHooks{});
  for (const FoldResult& r : results) out.folds.push_back(metrics_of(r));
  const FoldSummary summary = summarise_folds(results);
  out.mean = metrics_of(summary.mean);
  out.std = metrics_of(summary.std);
  return out;
}

}  // namespace collab
