// What the verbs that read a saved model share: options and printing lists of scored items.
#pragma once

#include <CLI/CLI.hpp>
#include <nlohmann/json.hpp>
#include <string>
#include <vector>

#include "model/interpret.h"

namespace collab::cli {

struct ReadingOptions {
  std::string model;
  std::string format;
  size_t top = 10;
  bool include_untrained = false;
};

// --model, --format table|tsv|json, --top N (default `top`), and --include-untrained where `untrained` is true.
void add_reading_options(CLI::App* verb, ReadingOptions& o, size_t top, bool untrained);

extern const char* const kUntrainedHelp;

// --ratings-of FILE: adds the person whose ratings FILE holds to `model` (model/new_user.h) and
// returns their user row.
std::int32_t fit_person(SavedModel& model, const std::string& path);

// One ranked list as a table (rank, name, value), TSV with a header, or a JSON array of
// {name_key: ..., value_key: ...}.
std::string ranked_table(const std::vector<ScoredItem>& items, const std::string& name_key,
                         const std::string& value_key, int decimals);
std::string ranked_tsv(const std::vector<ScoredItem>& items, const std::string& name_key,
                       const std::string& value_key, const std::string& side = "");
nlohmann::json ranked_json(const std::vector<ScoredItem>& items, const std::string& name_key,
                           const std::string& value_key);

}  // namespace collab::cli
