// `collab recommend --user ID`: the highest predicted ratings among the unrated items.
#include <cstdio>

#include "common_options.h"
#include "output.h"
#include "reading.h"
#include "support/utf8.h"
#include "verbs.h"

namespace collab::cli {
namespace {

struct RecommendVerbOptions {
  ReadingOptions read;
  std::int64_t user = 0;
  bool all_users = false;
  int threads = 0;
  std::string ratings_of;
};

// The value beside each title: a predicted rating, or for the ranking models (popularity, BPR,
// implicit ALS) the score that orders the list.
const char* value_key(const Model& m) {
  return m.predicts_ratings() ? "predicted_rating" : "score";
}

// Every trained user's list, streamed in user order as it is computed (Model::recommend_all):
// TSV or JSON lines for scripts, or aligned rows with the title last.
void run_recommend_all(const RecommendVerbOptions& o, const Model& m) {
  const std::string& format = o.read.format;
  if (format == "tsv") print_line(std::string("userId\trank\ttitle\t") + value_key(m));
  if (format == "table")
    print_line(m.predicts_ratings() ? "userId  rank  predicted  title"
                                    : "userId  rank      score  title");
  ListOptions all = list_options(o.read);
  all.threads = o.threads;
  std::string out;
  m.recommend_all(all, [&](std::int32_t id, const std::vector<ItemScore>& list) {
    if (format == "json") {
      const nlohmann::json line = {
          {"userId", id},
          {"recommendations", ranked_json(ranked_rows(list), "title", value_key(m))}};
      out += line.dump(-1, ' ', false, nlohmann::json::error_handler_t::replace) + "\n";
    } else {
      for (size_t r = 0; r < list.size(); ++r) {
        if (format == "tsv") {
          out += std::to_string(id) + "\t" + std::to_string(r + 1) + "\t" +
                 tsv_field(list[r].title) + "\t" + fixed(list[r].score, 6) + "\n";
        } else {
          char head[64];
          std::snprintf(head, sizeof head, "%6d  %4zu  %9.3f  ", id, r + 1, list[r].score);
          out += head + terminal_safe(list[r].title) + "\n";
        }
      }
    }
    if (out.size() > (1u << 16)) std::fputs(out.c_str(), stdout), out.clear();
  });
  std::fputs(out.c_str(), stdout);
  std::fflush(stdout);
}

void run_recommend(const RecommendVerbOptions& o) {
  const Model m = Model::load(o.read.model);
  if (o.all_users) return run_recommend_all(o, m);
  const auto list =
      ranked_rows(o.ratings_of.empty() ? m.recommend(user_id(m, o.user), list_options(o.read))
                                       : m.recommend_from_file(o.ratings_of, list_options(o.read)));
  if (o.read.format == "json") {
    nlohmann::json j = {{"recommendations", ranked_json(list, "title", value_key(m))}};
    j["userId"] = o.ratings_of.empty() ? nlohmann::json(o.user) : nlohmann::json(nullptr);
    print_json(j);
  } else if (o.read.format == "tsv") {
    std::string out = ranked_tsv(list, "title", value_key(m));
    print_line(out.substr(0, out.size() - 1));
  } else {
    std::string out = (o.ratings_of.empty() ? "for user " + std::to_string(o.user) : "for the ratings in " + o.ratings_of) + "\n" +
                      ranked_table(list, "title", value_key(m), 3);
    print_line(out.substr(0, out.size() - 1));
  }
}

}  // namespace

void add_recommend_verb(CLI::App& app) {
  auto o = std::make_shared<RecommendVerbOptions>();
  auto* verb = app.add_subcommand("recommend",
                                  "The highest predicted ratings among items the user did not rate in training");
  auto* user = verb->add_option("--user", o->user, "The userId")->check(signed_integer_64());
  auto* all = verb->add_flag("--all-users", o->all_users,
                             "The top --top items of every user the model trained on, streamed in user order "
                             "(TSV, JSON lines, or rows)");
  user->excludes(all);
  verb->add_option("--ratings-of", o->ratings_of,
                   "Recommend for a person who is not in the model, from their ratings in FILE (a CSV with "
                   "title,rating or movieId,rating): their factors are fitted with the items held fixed")
      ->excludes(user)->excludes(all);
  verb->add_option("--threads", o->threads, "Threads for --all-users (0: collab chooses: every usable core, as the lists scale)")
      ->check(CLI::Range(0, 1024))->capture_default_str();
  add_reading_options(verb, o->read, 10, true);
  verb->callback([o, verb] {
    if (!o->all_users && o->ratings_of.empty() && verb->count("--user") == 0)
      throw CLI::RequiredError("--user, --all-users or --ratings-of");
    run_recommend(*o);
  });
}

}  // namespace collab::cli
