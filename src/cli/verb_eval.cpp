// `collab eval`: rating and ranking metrics of a saved model (model/evaluation.h).
#include <cstdio>

#include "common_options.h"
#include "model/evaluation.h"
#include "model/run_fingerprint.h"
#include "support/hash.h"
#include "model/model_file.h"
#include "output.h"
#include "support/error.h"
#include "support/files.h"
#include "verbs.h"

namespace collab::cli {
namespace {

struct EvalVerbOptions {
  std::string model, ratings, predictions, per_user, format;
  EvaluationOptions eval;
};

std::string predictions_tsv(const SavedModel& m, const EvaluationRows& rows, const std::vector<double>& predictions) {
  std::string out = "userId\tmovieId\ttitle\trating\tprediction\n";
  for (size_t r = 0; r < rows.rating.size(); ++r)
    out += std::to_string(rows.user_id[r]) + "\t" + std::to_string(rows.movie_id[r]) + "\t" +
           tsv_field(rows.item[r] > 0 ? m.vocabulary.item_titles[static_cast<size_t>(rows.item[r])] : "#na#") + "\t" +
           fixed(rows.rating[r], 1) + "\t" + fixed(predictions[r], 6) + "\n";
  return out;
}

// JSON lines, a user a line by userId: the user's rating metrics over their rows, their ranking
// metrics at k (null for a user not ranked), and the fingerprint of every evaluated row, by which
// `collab compare` knows two files scored the same rows.
std::string per_user_json_lines(const Evaluation& e, const EvaluationRows& rows, const EvaluationOptions& o) {
  const std::string fingerprint = hex_digest(rows_fingerprint(rows));
  std::string out;
  for (const UserEvaluation& u : e.per_user) {
    const nlohmann::json none;
    const RankingMetrics& k = u.ranking;
    nlohmann::json j = {{"userId", u.user_id}, {"rows", u.rating.rows}, {"mse", u.rating.mse}, {"rmse", u.rating.rmse},
                        {"mae", u.rating.mae}, {"k", o.k}, {"relevant_rating", o.relevant_rating},
                        {"precision", u.ranked ? nlohmann::json(k.precision) : none},
                        {"recall", u.ranked ? nlohmann::json(k.recall) : none},
                        {"ndcg", u.ranked ? nlohmann::json(k.ndcg) : none},
                        {"map", u.ranked ? nlohmann::json(k.map) : none},
                        {"hit_rate", u.ranked ? nlohmann::json(k.hit_rate) : none},
                        {"rows_fingerprint", fingerprint}};
    out += j.dump() + "\n";
  }
  return out;
}

void run_eval(const EvalVerbOptions& o) {
  if (!o.predictions.empty()) require_replaceable_output(o.predictions, "predictions");
  if (!o.per_user.empty()) require_replaceable_output(o.per_user, "per-user metrics");
  const SavedModel m = load_model(o.model);
  const EvaluationRows rows = o.ratings.empty() ? validation_rows_of(m) : rows_of_file(m, read_ratings_csv_file(o.ratings));
  if (rows.rating.empty()) throw data_error("no ratings to evaluate on (the model was trained without validation rows; give --ratings FILE)");
  const EvaluationOptions& options = o.eval;
  const Evaluation e = evaluate(m, rows, options, /*per_user=*/!o.per_user.empty());
  if (!o.predictions.empty()) write_file_atomically(o.predictions, predictions_tsv(m, rows, e.predictions));
  if (!o.per_user.empty()) write_file_atomically(o.per_user, per_user_json_lines(e, rows, options));
  const RatingMetrics& r = e.rating;
  const RankingMetrics& k = e.ranking;
  const bool ratings = e.rating_metrics_apply;
  if (!ratings)
    std::fprintf(stderr, "collab: note: a --arch %s%s model scores items rather than predicting ratings: its rating "
                 "metrics are null\n", arch_name(m.shape.arch).c_str(), m.options.model.implicit ? " --implicit" : "");
  auto rating_metric = [&](double x) { return ratings ? nlohmann::json(x) : nlohmann::json(nullptr); };
  auto rating_text = [&](double x) { return ratings ? fixed(x, 6) : std::string("null"); };
  if (o.format == "json") {
    print_json({{"mse", rating_metric(r.mse)}, {"rmse", rating_metric(r.rmse)}, {"mae", rating_metric(r.mae)},
                {"r2", rating_metric(r.r2)}, {"rows", r.rows},
                {"cold_users", e.cold_users}, {"cold_items", e.cold_items}, {"k", k.k}, {"precision", k.precision},
                {"recall", k.recall}, {"ndcg", k.ndcg}, {"map", k.map}, {"hit_rate", k.hit_rate},
                {"users", k.users}, {"coverage", k.coverage}});
    return;
  }
  const std::string at = "@" + std::to_string(k.k);
  std::string out = format_table({"metric", "value"},
                                 {{"mse", rating_text(r.mse)}, {"rmse", rating_text(r.rmse)}, {"mae", rating_text(r.mae)},
                                  {"r2", rating_text(r.r2)}, {"rows", std::to_string(r.rows)},
                                  {"cold_users", std::to_string(e.cold_users)}, {"cold_items", std::to_string(e.cold_items)},
                                  {"precision" + at, fixed(k.precision, 6)}, {"recall" + at, fixed(k.recall, 6)},
                                  {"ndcg" + at, fixed(k.ndcg, 6)}, {"map" + at, fixed(k.map, 6)},
                                  {"hit_rate" + at, fixed(k.hit_rate, 6)}, {"users", std::to_string(k.users)},
                                  {"coverage" + at, fixed(k.coverage, 6)}},
                                 {false, true});
  print_line(out.substr(0, out.size() - 1));
}

}  // namespace

void add_eval_verb(CLI::App& app) {
  auto o = std::make_shared<EvalVerbOptions>();
  auto* verb = app.add_subcommand(
      "eval",
      "Rating metrics (mse, rmse, mae, r2) and ranking metrics at k of a saved model, on its own validation\n"
      "rows (rebuilt from the data set and split it records) or on --ratings FILE.\n"
      "Ranking: a user's candidates are the items with a trained embedding that the user did not rate in\n"
      "training; the relevant items are the user's evaluation items rated at least --relevant-rating;\n"
      "users with no relevant item or no training rating are skipped. precision@k = hits/k, recall@k =\n"
      "hits/|relevant|, ndcg@k with binary gain and 1/log2(rank+1), map@k = sum of precision@i at hit\n"
      "ranks i <= k over min(k, |relevant|), hit_rate = share of users with a hit, all averaged over the\n"
      "ranked users; coverage = share of trained items in some top-k. Ties rank by item order.");
  add_model_option(verb, o->model, "The saved model (written by collab train)");
  verb->add_option("--ratings", o->ratings, "Evaluate on this ratings CSV (userId,movieId,rating[,timestamp]) instead");
  verb->add_option("--k", o->eval.k, "Length of the ranked lists")->check(CLI::Range(1, 100000))->capture_default_str();
  verb->add_option("--relevant-rating", o->eval.relevant_rating, "Ratings at or above this are relevant (0: every one)")
      ->check(finite_number(-1e9, 1e9))->capture_default_str();
  verb->add_option("--predictions", o->predictions, "Also write every evaluated row with its prediction to FILE.tsv");
  verb->add_option("--per-user", o->per_user,
                   "Also write each user's metrics to FILE as JSON lines (userId, rows, mse, rmse, mae, k,\n"
                   "relevant_rating, precision, recall, ndcg, map, hit_rate (null where the user was not\n"
                   "ranked), rows_fingerprint), for collab compare (default: none)");
  verb->add_option("--threads", o->eval.threads, "Threads for the ranked lists (0: collab chooses: every usable core, as the lists scale)")
      ->check(CLI::Range(0, 1024))->capture_default_str();
  add_format_option(verb, o->format, {"table", "json"});
  verb->callback([o] { run_eval(*o); });
}

}  // namespace collab::cli
