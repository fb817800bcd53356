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

namespace fs = std::filesystem;

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

// The folder --out, made with any missing parents and removed again (with those parents) if the
// split fails before keep(): nothing half-made. fs::remove takes only an empty folder.
class OutputFolder {
 public:
  explicit OutputFolder(const std::string& out) {
    std::error_code ec;
    for (fs::path p = fs::absolute(out, ec); !p.empty() && !fs::exists(p, ec); p = p.parent_path()) first_made_ = p;
    fs::create_directories(out, ec);
    if (ec || !fs::is_directory(out)) throw cannot_write("cannot create the folder " + out);
    folder_ = fs::absolute(out, ec);
  }
  ~OutputFolder() {
    std::error_code ignored;
    if (first_made_.empty()) return;
    for (fs::path p = folder_; fs::remove(p, ignored) && p != first_made_; p = p.parent_path()) {
    }
  }
  OutputFolder(const OutputFolder&) = delete;
  OutputFolder& operator=(const OutputFolder&) = delete;
  void keep() { first_made_.clear(); }

 private:
  fs::path folder_, first_made_;
};

struct SplitFiles {
  std::string train, valid, test;  // test: empty without --test-pct
};

void print_split(const SplitVerbOptions& o, const RatingFilters& filters, const FilterReport& filtered,
                 size_t ratings, const TrainValidSplit& s, const SplitFiles& files) {
  const bool with_test = !files.test.empty();
  if (o.format == "json") {
    nlohmann::json j = {{"train", files.train}, {"valid", files.valid}, {"train_ratings", s.train_rows.size()},
                        {"valid_ratings", s.valid_rows.size()}, {"seed", o.seed_given ? o.seed : 0}};
    if (with_test) j["test"] = files.test, j["test_ratings"] = s.test_rows.size();
    // The filters as given, and what each removed, so that the output says which data it splits.
    j["filters"] = {{"min_rating", filters.min_rating ? nlohmann::json(*filters.min_rating) : nlohmann::json(nullptr)},
                    {"min_user_ratings", filters.min_user_ratings}, {"min_item_ratings", filters.min_item_ratings}};
    j["removed"] = {{"min_rating", filtered.below_min_rating}, {"min_user_ratings", filtered.by_min_user_ratings},
                    {"min_item_ratings", filtered.by_min_item_ratings}};
    j["ratings"] = ratings;
    j["users_kept_whole"] = s.users_kept_whole;
    print_json(j);
    return;
  }
  std::string out = files.train + "\t" + std::to_string(s.train_rows.size()) + "\n" + files.valid + "\t" +
                    std::to_string(s.valid_rows.size());
  if (with_test) out += "\n" + files.test + "\t" + std::to_string(s.test_rows.size());
  if (filters.any()) out += "\nfilters\t" + filter_options_text(filters);
  print_line(out);
}

void run_split(const SplitVerbOptions& o, const RatingFilters& filters) {
  const std::uint64_t seed = o.seed_given ? o.seed : 0;
  const SplitSpec spec = split_spec(o.split);
  check_split_spec(spec);  // a usage error creates no folder
  OutputFolder folder(o.out);
  SplitFiles files{(fs::path(o.out) / "train.csv").string(), (fs::path(o.out) / "valid.csv").string(), ""};
  require_replaceable_output(files.train, "training ratings");
  require_replaceable_output(files.valid, "validation ratings");
  if (o.split.test_pct > 0) {
    files.test = (fs::path(o.out) / "test.csv").string();
    require_replaceable_output(files.test, "test ratings");
  }
  FilterReport filtered;
  const EncodedRatings data = load_filtered(data_source(o.data), filters, &filtered);
  const TrainValidSplit s = split_ratings(data, spec, seed);
  report_filters_and_split(filters, filtered, spec, s);
  if (s.valid_rows.empty()) throw data_error("the split leaves the validation set empty");
  StagedFile train(files.train, ratings_csv(data, s.train_rows));
  StagedFile valid(files.valid, ratings_csv(data, s.valid_rows));
  std::optional<StagedFile> test;
  if (!files.test.empty()) test.emplace(files.test, ratings_csv(data, s.test_rows));
  train.commit();
  valid.commit();
  if (test) test->commit();
  folder.keep();  // written: the folders stay
  print_split(o, filters, filtered, data.size(), s, files);
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
