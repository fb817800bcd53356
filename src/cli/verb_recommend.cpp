// `collab recommend --user ID`: the highest predicted ratings among the unrated items.
#include "model/interpret.h"
#include "model/title_match.h"
#include "common_options.h"
#include "output.h"
#include "reading.h"
#include "verbs.h"

namespace collab::cli {
namespace {

struct RecommendVerbOptions {
  ReadingOptions read;
  std::int64_t user = 0;
};

void run_recommend(const RecommendVerbOptions& o) {
  const SavedModel m = load_model(o.read.model);
  const std::int32_t user = find_user(m.vocabulary, o.user);
  const auto list = recommend_items(m, user, o.read.top, o.read.include_untrained);
  if (o.read.format == "json") {
    print_json({{"userId", o.user}, {"recommendations", ranked_json(list, "title", "predicted_rating")}});
  } else if (o.read.format == "tsv") {
    std::string out = ranked_tsv(list, "title", "predicted_rating");
    print_line(out.substr(0, out.size() - 1));
  } else {
    std::string out = "for user " + std::to_string(o.user) + "\n" +
                      ranked_table(list, "title", "predicted_rating", 3);
    print_line(out.substr(0, out.size() - 1));
  }
}

}  // namespace

void add_recommend_verb(CLI::App& app) {
  auto o = std::make_shared<RecommendVerbOptions>();
  auto* verb = app.add_subcommand("recommend",
                                  "The highest predicted ratings among items the user did not rate in training");
  verb->add_option("--user", o->user, "The userId")->required()->check(signed_integer_64());
  add_reading_options(verb, o->read, 10, true);
  verb->callback([o] { run_recommend(*o); });
}

}  // namespace collab::cli
