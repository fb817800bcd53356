// `collab split`: a data set's train/validation split as two ratings CSV files (three with
// --test-pct), so that another tool can use the very same split, and `collab train --valid-ratings
// DIR/valid.csv` with the same --seed (and filters) trains the very same model.
#include <charconv>
#include <cstdio>
#include <filesystem>
#include <optional>

#include "common_options.h"
#include "output.h"
#include "support/error.h"
#include "support/files.h"
#include "training_options.h"
#include "verbs.h"

namespace collab::cli {
namespace {

struct SplitVerbOptions {
  DataOptions data;
  FilterOptions filters;
  SplitOptions split;
  std::uint64_t seed = 0;
  bool seed_given = false;
  std::string out, format;
};

// A number in its shortest form that reads back the same (std::to_chars), then `end`.
template <class T>
void append(std::string& out, T value, char end) {
  char buf[32];
  out.append(buf, std::to_chars(buf, buf + sizeof buf, value).ptr);
  out += end;
}

// The rows as a ratings CSV in the data set's columns, with their own movieIds and timestamps.
std::string ratings_csv(const EncodedRatings& d, const std::vector<std::int32_t>& rows) {
  std::string out = "userId,movieId,rating,timestamp\n";
  out.reserve(rows.size() * 28 + out.size());
  for (auto r : rows) {
    const auto i = static_cast<size_t>(r);
    append(out, d.vocabulary.user_ids[static_cast<size_t>(d.user[i])], ',');
    append(out, d.movie_id[i], ',');
    append(out, d.rating[i], ',');
    append(out, d.timestamp[i], '\n');
  }
  return out;
}

void run_split(const SplitVerbOptions& o, const RatingFilters& filters) {
  namespace fs = std::filesystem;
  const std::uint64_t seed = o.seed_given ? o.seed : 0;
  const SplitSpec spec = split_spec(o.split, seed);
  check_split_spec(spec);  // a usage error creates no folder
  std::error_code ec;
  // The folders made here (--out and any missing parents), removed again if a failure below
  // leaves them empty: nothing half-made. fs::remove takes only an empty folder.
  fs::path first_made;
  for (fs::path p = fs::absolute(o.out, ec); !p.empty() && !fs::exists(p, ec); p = p.parent_path()) first_made = p;
  fs::create_directories(o.out, ec);
  if (ec || !fs::is_directory(o.out)) throw cannot_write("cannot create the folder " + o.out);
  struct RemoveMadeFolders {
    fs::path folder, first_made;
    ~RemoveMadeFolders() {
      std::error_code ignored;
      if (first_made.empty()) return;
      for (fs::path p = folder; fs::remove(p, ignored) && p != first_made; p = p.parent_path()) {
      }
    }
  } cleanup{fs::absolute(o.out, ec), first_made};
  const std::string train_path = (fs::path(o.out) / "train.csv").string();
  const std::string valid_path = (fs::path(o.out) / "valid.csv").string();
  require_replaceable_output(train_path, "training ratings");
  require_replaceable_output(valid_path, "validation ratings");
  const bool with_test = o.split.test_pct > 0;
  const std::string test_path = (fs::path(o.out) / "test.csv").string();
  if (with_test) require_replaceable_output(test_path, "test ratings");
  FilterReport filtered;
  const EncodedRatings data = load_filtered(data_source(o.data), filters, &filtered);
  const TrainValidSplit s = split_ratings(data, spec);
  report_filters_and_split(filters, filtered, spec, s);
  if (s.valid_rows.empty()) throw data_error("the split leaves the validation set empty");
  StagedFile train(train_path, ratings_csv(data, s.train_rows));
  StagedFile valid(valid_path, ratings_csv(data, s.valid_rows));
  std::optional<StagedFile> test;
  if (with_test) test.emplace(test_path, ratings_csv(data, s.test_rows));
  train.commit();
  valid.commit();
  if (test) test->commit();
  cleanup.first_made.clear();  // written: the folders stay
  if (o.format == "json") {
    nlohmann::json j = {{"train", train_path}, {"valid", valid_path}, {"train_ratings", s.train_rows.size()},
                        {"valid_ratings", s.valid_rows.size()}, {"seed", seed}};
    if (with_test) j["test"] = test_path, j["test_ratings"] = s.test_rows.size();
    // The filters as given, and what each removed, so that the output says which data it splits.
    j["filters"] = {{"min_rating", filters.min_rating ? nlohmann::json(*filters.min_rating) : nlohmann::json(nullptr)},
                    {"min_user_ratings", filters.min_user_ratings}, {"min_item_ratings", filters.min_item_ratings}};
    j["removed"] = {{"min_rating", filtered.below_min_rating}, {"min_user_ratings", filtered.by_min_user_ratings},
                    {"min_item_ratings", filtered.by_min_item_ratings}};
    j["ratings"] = data.size();
    j["users_kept_whole"] = s.users_kept_whole;
    print_json(j);
  } else {
    std::string out = train_path + "\t" + std::to_string(s.train_rows.size()) + "\n" + valid_path + "\t" +
                      std::to_string(s.valid_rows.size());
    if (with_test) out += "\n" + test_path + "\t" + std::to_string(s.test_rows.size());
    if (filters.any()) out += "\nfilters\t" + filter_options_text(filters);
    print_line(out);
  }
}

}  // namespace

void add_split_verb(CLI::App& app) {
  auto o = std::make_shared<SplitVerbOptions>();
  auto* verb = app.add_subcommand(
      "split",
      "Write a data set's train/validation split as DIR/train.csv and DIR/valid.csv (ratings CSV), and\n"
      "DIR/test.csv with --test-pct; filters apply before the split");
  add_data_options(verb, o->data);
  add_filter_options(verb, o->filters);
  add_split_options(verb, o->split);
  add_seed_option(verb, o->seed, "Seed of the split's permutation (default 0; give train the same --seed)");
  verb->add_option("--out", o->out, "Folder for train.csv, valid.csv and test.csv")->required();
  add_format_option(verb, o->format, {"table", "json"});
  verb->callback([o, verb] {
    check_split_options_apply(verb, o->split);
    o->seed_given = verb->count("--seed") > 0;
    run_split(*o, rating_filters(verb, o->filters));
  });
}

}  // namespace collab::cli
