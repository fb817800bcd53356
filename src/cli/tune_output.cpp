#include "tune_output.h"

#include <algorithm>
#include <cmath>

#include "output.h"

namespace collab::cli {
namespace {

nlohmann::json score_json(double s) { return std::isfinite(s) ? nlohmann::json(s) : nlohmann::json(nullptr); }

// A configuration's values in JSON, whole numbers as integers, categorical ones by name.
void put_values(nlohmann::json& j, const std::vector<TunedOption>& space, const Configuration& values) {
  for (size_t i = 0; i < space.size(); ++i) {
    const TunedOption& o = space[i];
    j[o.name] = o.categorical() ? nlohmann::json(value_text(o, values[i]))
                : o.integer     ? nlohmann::json(static_cast<long long>(values[i]))
                                : nlohmann::json(values[i]);
  }
}

}  // namespace

void print_tune_header(const TuneTable& t) {
  if (t.json) return;
  std::string header = "trial";
  for (const TunedOption& o : *t.space) header += "  " + o.name;
  header += "  " + t.metric + (t.minimised ? "" : "@" + std::to_string(t.k));
  if (t.folds > 0) header += "  std";
  if (t.epochs_column) header += "  epochs";
  print_line(header + "  pruned  seconds");
}

void print_tune_trial(const TuneTable& t, const TrialResult& r) {
  const std::vector<TunedOption>& space = *t.space;
  if (t.json) {
    nlohmann::json j = {{"trial", r.trial}};
    put_values(j, space, r.values);
    j[t.metric] = score_json(r.score);
    if (t.folds > 0) j["folds"] = r.folds, j[t.metric + "_std"] = score_json(r.score_std);
    j["epochs"] = r.epochs, j["pruned"] = r.pruned, j["seconds"] = r.seconds;
    j["train_rows"] = r.train_rows, j["tune_rows"] = r.tune_rows, j["resumed"] = r.resumed;
    print_json(j);
    return;
  }
  std::string line = std::to_string(r.trial);
  for (size_t i = 0; i < space.size(); ++i) line += "  " + value_text(space[i], r.values[i]);
  line += "  " + (std::isfinite(r.score) ? fixed(r.score, 6) : std::string("diverged"));
  if (t.folds > 0) line += "  " + fixed(r.score_std, 6);
  if (t.epochs_column) line += "  " + std::to_string(r.epochs);
  print_line(line + "  " + (r.pruned ? "true" : "false") + "  " + fixed(r.seconds, 2));
}

void print_tune_best(const TuneTable& t, const TuneBest& b) {
  const std::vector<TunedOption>& space = *t.space;
  const TrialResult& best = *b.trial;
  const double none = std::nan("");
  const bool rated = b.test.rating_metrics_apply;
  const double test_mse = rated ? b.test.rating.mse : none, test_rmse = rated ? b.test.rating.rmse : none;
  const double test_mae = rated ? b.test.rating.mae : none;
  const RankingMetrics& ranking = b.test.ranking;
  if (t.json) {
    nlohmann::json j = {{"best", true}, {"trial", best.trial}, {"metric", t.metric}, {"k", t.k}};
    put_values(j, space, best.values);
    j[t.metric] = best.score;
    if (t.folds > 0) j["folds"] = t.folds, j[t.metric + "_std"] = best.score_std;
    j["epochs"] = b.epochs;
    j["trials"] = b.trials;
    j["test_mse"] = score_json(test_mse), j["test_rmse"] = score_json(test_rmse), j["test_mae"] = score_json(test_mae);
    j["test_ndcg"] = ranking.ndcg, j["test_precision"] = ranking.precision;
    j["test_recall"] = ranking.recall, j["test_map"] = ranking.map;
    j["train_rows"] = b.train_rows, j["test_rows"] = b.test_rows;
    print_json(j);
    return;
  }
  std::string options;
  for (size_t i = 0; i < space.size(); ++i) options += " --" + space[i].name + " " + value_text(space[i], best.values[i]);
  print_line("");
  print_line("best: trial " + std::to_string(best.trial) + " of " + std::to_string(b.trials) + ":" + options + "  (" +
             t.metric + " " + fixed(best.score, 6) + " on the tuning rows)");
  print_line("test, retrained on " + std::to_string(b.train_rows) + " rows, scored on " + std::to_string(b.test_rows) +
             ": rmse " + (std::isfinite(test_rmse) ? fixed(test_rmse, 6) : "null") + "  mae " +
             (std::isfinite(test_mae) ? fixed(test_mae, 6) : "null") + "  ndcg@" + std::to_string(t.k) + " " +
             fixed(ranking.ndcg, 6) + "  precision@" + std::to_string(t.k) + " " + fixed(ranking.precision, 6));
}

std::string tune_plot(const std::string& path, const TuneTable& t, const std::vector<TrialResult>& results) {
  std::vector<TrialSeries> series;
  for (size_t i = 0; i < t.space->size(); ++i) {
    const TunedOption& o = (*t.space)[i];
    TrialSeries s{o.name, {}, {}, o.low, o.high, o.log_scale && !o.categorical(), {}};
    if (!o.is_range()) s.low = *std::min_element(o.values.begin(), o.values.end()),
                       s.high = *std::max_element(o.values.begin(), o.values.end());
    // A categorical option's axis names the values listed, in the order given.
    for (double v : o.categorical() ? o.values : Configuration{}) s.categories.push_back(value_text(o, v));
    for (const TrialResult& r : results) {
      const double v = r.values[i];
      const auto listed = std::find(o.values.begin(), o.values.end(), v);
      s.x.push_back(o.categorical() ? static_cast<double>(listed - o.values.begin()) : v);
      s.y.push_back(r.score);
    }
    series.push_back(std::move(s));
  }
  std::vector<double> best_so_far;
  double best = std::nan("");
  for (const TrialResult& r : results) {
    if (std::isfinite(r.score) && (!std::isfinite(best) || (t.minimised ? r.score < best : r.score > best))) best = r.score;
    best_so_far.push_back(best);
  }
  const std::string metric = t.metric + (t.minimised ? "" : "@" + std::to_string(t.k));
  return tune_plot_image(path, series, best_so_far, metric + (t.folds > 0 ? " (mean of folds)" : ""));
}

}  // namespace collab::cli
