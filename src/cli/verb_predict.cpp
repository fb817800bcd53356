// `collab predict --user ID --item TITLE`: one predicted rating.
#include "common_options.h"
#include "output.h"
#include "reading.h"
#include "verbs.h"

namespace collab::cli {
namespace {

struct PredictVerbOptions {
  std::string model, format, item, ratings_of;
  std::int64_t user = 0;
};

void run_predict(const PredictVerbOptions& o) {
  const Model model = Model::load(o.model);
  const double p = o.ratings_of.empty() ? model.predict(user_id(model, o.user), o.item)
                                        : model.predict_from_file(o.ratings_of, o.item);
  const std::string title = model.item(o.item).title;
  const std::string who = o.ratings_of.empty() ? std::to_string(o.user) : "";
  // Ranking models (popularity, BPR, implicit ALS) give a score that orders items, not a rating.
  const bool rating = model.predicts_ratings();
  const std::string key = rating ? "prediction" : "score";
  if (o.format == "json") {
    nlohmann::json j = {{"title", title}, {key, p}};
    j["userId"] = o.ratings_of.empty() ? nlohmann::json(o.user) : nlohmann::json(nullptr);
    print_json(j);
  } else if (o.format == "tsv") {
    print_line("userId\ttitle\t" + key + "\n" + who + "\t" + tsv_field(title) + "\t" + fixed(p, 6));
  } else {
    const TrainingOptions trained = model.options();
    print_line(rating ? fixed(p, 3)
                      : fixed(p, 3) + "  (a ranking score from a --arch " + trained.arch +
                            (trained.implicit ? " --implicit" : "") + " model, not a rating)");
  }
}

}  // namespace

void add_predict_verb(CLI::App& app) {
  auto o = std::make_shared<PredictVerbOptions>();
  auto* verb = app.add_subcommand("predict", "The model's predicted rating of one item by one user");
  auto* user = verb->add_option("--user", o->user, "The userId")->check(signed_integer_64());
  verb->add_option("--ratings-of", o->ratings_of,
                   "Predict for a person who is not in the model, from their ratings in FILE (title,rating or "
                   "movieId,rating), as recommend --ratings-of does")
      ->excludes(user);
  verb->add_option("--item", o->item, "The item's title (or movieId for movieId-keyed models)")->required();
  add_model_option(verb, o->model, "The saved model (written by collab train)");
  add_format_option(verb, o->format, {"table", "tsv", "json"});
  verb->callback([o, verb] {
    if (o->ratings_of.empty() && verb->count("--user") == 0) throw CLI::RequiredError("--user or --ratings-of");
    run_predict(*o);
  });
}

}  // namespace collab::cli
