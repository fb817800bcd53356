// What the verbs that read a saved model share: options, and printing lists of scored items.
// The answers themselves come from the library's model handle (collab/collab.h).
#pragma once

#include <CLI/CLI.hpp>
#include <nlohmann/json.hpp>
#include <string>
#include <vector>

#include "collab/collab.h"

namespace collab::cli {

struct ReadingOptions {
  std::string model;
  std::string format;
  size_t top = 10;
  bool include_untrained = false;
};

// --model, --format table|tsv|json, --top N (default `top`), and --include-untrained where `untrained` is true.
void add_reading_options(CLI::App* verb, ReadingOptions& o, size_t top, bool untrained);

// --top and --include-untrained as the library takes them.
ListOptions list_options(const ReadingOptions& o);

// --user as the library takes it: a model's userIds are 32-bit, so a larger value names no user
// and is refused as the library refuses any unknown one.
std::int32_t user_id(const Model& model, std::int64_t user);

extern const char* const kUntrainedHelp;

// A ranked list's row as printed: a title (or a userId) and its value.
struct RankedRow {
  std::string name;
  double value;
};
std::vector<RankedRow> ranked_rows(const std::vector<ItemScore>& items);
std::vector<RankedRow> ranked_rows(const std::vector<UserScore>& users);

// One ranked list as a table (rank, name, value), TSV with a header, or a JSON array of
// {name_key: ..., value_key: ...}.
std::string ranked_table(const std::vector<RankedRow>& items, const std::string& name_key,
                         const std::string& value_key, int decimals);
std::string ranked_tsv(const std::vector<RankedRow>& items, const std::string& name_key,
                       const std::string& value_key, const std::string& side = "");
nlohmann::json ranked_json(const std::vector<RankedRow>& items, const std::string& name_key,
                           const std::string& value_key);

}  // namespace collab::cli
