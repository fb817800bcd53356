// `collab data`: load, merge and encode a data source; print counts and a sample.
#include "common_options.h"
#include "output.h"
#include "support/random.h"
#include "verbs.h"

namespace collab::cli {
namespace {

struct DataVerbOptions {
  DataOptions data;
  std::string format;
  int sample = 10;
  std::uint64_t seed = 0;
  bool seed_given = false;
};

void run_data(const DataVerbOptions& o) {
  const DataSource source = data_source(o.data);
  const EncodedRatings d = load_data_source(source);
  const Vocabulary& v = d.vocabulary;
  Rng rng(o.seed_given ? o.seed : fresh_seed(), /*stream=*/7);
  std::vector<size_t> rows;
  for (int k = 0; k < o.sample && d.size() > 0; ++k) rows.push_back(rng.below(d.size()));
  if (o.format == "json") {
    nlohmann::json j = {{"dataset", source.description},
                        {"ratings", d.size()},
                        {"users", v.user_rows() - 1},
                        {"items", v.item_rows() - 1},
                        {"dropped_ratings", d.dropped_ratings},
                        {"item_key", v.item_key == ItemKey::title ? "title" : "movieId"},
                        {"sample", nlohmann::json::array()}};
    for (size_t r : rows)
      j["sample"].push_back({{"userId", v.user_ids[static_cast<size_t>(d.user[r])]},
                             {"title", v.item_titles[static_cast<size_t>(d.item[r])]},
                             {"rating", d.rating[r]}});
    print_json(j);
    return;
  }
  std::string out = format_table({"", ""},
                                 {{"dataset", source.description},
                                  {"ratings", std::to_string(d.size())},
                                  {"users", std::to_string(v.user_rows() - 1)},
                                  {"items", std::to_string(v.item_rows() - 1)},
                                  {"dropped ratings", std::to_string(d.dropped_ratings)}},
                                 {false, true});
  out = out.substr(out.find('\n') + 1);  // no header line for the counts
  if (!rows.empty()) {
    std::vector<std::vector<std::string>> sample;
    for (size_t r : rows)
      sample.push_back({std::to_string(v.user_ids[static_cast<size_t>(d.user[r])]),
                        v.item_titles[static_cast<size_t>(d.item[r])], fixed(d.rating[r], 1)});
    out += "\n" + format_table({"userId", "title", "rating"}, sample, {true, false, true});
  }
  print_line(out.substr(0, out.size() - 1));
}

}  // namespace

void add_data_verb(CLI::App& app) {
  auto o = std::make_shared<DataVerbOptions>();
  auto* verb = app.add_subcommand("data", "Load, merge and encode a data set; print counts and a sample of rows");
  add_data_options(verb, o->data);
  add_format_option(verb, o->format, {"table", "json"});
  verb->add_option("--sample", o->sample, "Random rows to show, like fastai's show_batch")
      ->check(CLI::Range(0, 1000000))->capture_default_str();
  add_seed_option(verb, o->seed, "Seed for the sample (default: a fresh one)");
  verb->callback([o, verb] {
    o->seed_given = verb->count("--seed") > 0;
    run_data(*o);
  });
}

}  // namespace collab::cli
