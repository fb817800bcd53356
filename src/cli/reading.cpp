#include "reading.h"

#include <limits>

#include "common_options.h"
#include "model/title_match.h"
#include "output.h"
#include "support/error.h"

namespace collab::cli {

const char* const kUntrainedHelp =
    "Also list items (or users) that appear only in the validation rows: they were never trained "
    "and keep their near-zero initial values (fastai lists them; collab leaves them out)";

void add_reading_options(CLI::App* verb, ReadingOptions& o, size_t top, bool untrained) {
  o.top = top;
  add_model_option(verb, o.model, "The saved model (written by collab train)");
  add_format_option(verb, o.format, {"table", "tsv", "json"});
  verb->add_option("--top", o.top, "How many to list")->check(CLI::Range(size_t{1}, size_t{1} << 30))->capture_default_str();
  if (untrained) verb->add_flag("--include-untrained", o.include_untrained, kUntrainedHelp);
}

ListOptions list_options(const ReadingOptions& o) {
  ListOptions list;
  list.k = o.top;
  list.include_untrained = o.include_untrained;
  return list;
}

std::int32_t user_id(const Model& model, std::int64_t user) {
  using limits = std::numeric_limits<std::int32_t>;
  if (user < limits::min() || user > limits::max())
    throw data_error(no_such_user(user, model.users()));
  return static_cast<std::int32_t>(user);
}

std::vector<RankedRow> ranked_rows(const std::vector<ItemScore>& items) {
  std::vector<RankedRow> rows;
  for (const ItemScore& i : items) rows.push_back({i.title, i.score});
  return rows;
}

std::vector<RankedRow> ranked_rows(const std::vector<UserScore>& users) {
  std::vector<RankedRow> rows;
  for (const UserScore& u : users) rows.push_back({std::to_string(u.user_id), u.score});
  return rows;
}

std::string ranked_table(const std::vector<RankedRow>& items, const std::string& name_key,
                         const std::string& value_key, int decimals) {
  std::vector<std::vector<std::string>> rows;
  for (size_t r = 0; r < items.size(); ++r)
    rows.push_back({std::to_string(r + 1), items[r].name, fixed(items[r].value, decimals)});
  return format_table({"rank", name_key, value_key}, rows, {true, false, true});
}

std::string ranked_tsv(const std::vector<RankedRow>& items, const std::string& name_key,
                       const std::string& value_key, const std::string& side) {
  std::string out;
  if (side.empty()) out = "rank\t" + name_key + "\t" + value_key + "\n";
  for (size_t r = 0; r < items.size(); ++r)
    out += (side.empty() ? "" : side + "\t") + std::to_string(r + 1) + "\t" + tsv_field(items[r].name) +
           "\t" + fixed(items[r].value, 6) + "\n";
  return out;
}

nlohmann::json ranked_json(const std::vector<RankedRow>& items, const std::string& name_key,
                           const std::string& value_key) {
  nlohmann::json a = nlohmann::json::array();
  for (const auto& i : items) a.push_back({{name_key, i.name}, {value_key, i.value}});
  return a;
}

}  // namespace collab::cli
