// `collab predict --user ID --item TITLE`: one predicted rating.
#include "model/interpret.h"
#include "model/title_match.h"
#include "common_options.h"
#include "output.h"
#include "reading.h"
#include "verbs.h"

namespace collab::cli {
namespace {

struct PredictVerbOptions {
  std::string model, format, item;
  std::int64_t user = 0;
};

void run_predict(const PredictVerbOptions& o) {
  const SavedModel m = load_model(o.model);
  const std::int32_t user = find_user(m.vocabulary, o.user);
  const std::int32_t item = find_item(m.vocabulary, o.item);
  const double p = predict_rating(m, user, item);
  const std::string& title = m.vocabulary.item_titles[static_cast<size_t>(item)];
  if (o.format == "json") print_json({{"userId", o.user}, {"title", title}, {"prediction", p}});
  else if (o.format == "tsv") print_line("userId\ttitle\tprediction\n" + std::to_string(o.user) + "\t" + tsv_field(title) + "\t" + fixed(p, 6));
  else print_line(fixed(p, 3));
}

}  // namespace

void add_predict_verb(CLI::App& app) {
  auto o = std::make_shared<PredictVerbOptions>();
  auto* verb = app.add_subcommand("predict", "The model's predicted rating of one item by one user");
  verb->add_option("--user", o->user, "The userId")->required()->check(signed_integer_64());
  verb->add_option("--item", o->item, "The item's title (or movieId for movieId-keyed models)")->required();
  add_model_option(verb, o->model, "The saved model (written by collab train)");
  add_format_option(verb, o->format, {"table", "tsv", "json"});
  verb->callback([o] { run_predict(*o); });
}

}  // namespace collab::cli
