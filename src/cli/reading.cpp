#include "reading.h"

#include "model/model_file.h"
#include "model/new_user.h"
#include "common_options.h"
#include "output.h"

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

std::int32_t fit_person(SavedModel& m, const std::string& path) {
  const float lo = m.has_source ? m.source.format.min_rating : m.shape.y_low;
  const float hi = m.has_source ? m.source.format.max_rating : m.shape.y_high;
  const auto ratings = match_person_ratings(m, read_person_ratings(path, lo, hi), path);
  return add_fitted_user(m, ratings);
}

std::string ranked_table(const std::vector<ScoredItem>& items, const std::string& name_key,
                         const std::string& value_key, int decimals) {
  std::vector<std::vector<std::string>> rows;
  for (size_t r = 0; r < items.size(); ++r)
    rows.push_back({std::to_string(r + 1), items[r].name, fixed(items[r].value, decimals)});
  return format_table({"rank", name_key, value_key}, rows, {true, false, true});
}

std::string ranked_tsv(const std::vector<ScoredItem>& items, const std::string& name_key,
                       const std::string& value_key, const std::string& side) {
  std::string out;
  if (side.empty()) out = "rank\t" + name_key + "\t" + value_key + "\n";
  for (size_t r = 0; r < items.size(); ++r)
    out += (side.empty() ? "" : side + "\t") + std::to_string(r + 1) + "\t" + tsv_field(items[r].name) +
           "\t" + fixed(items[r].value, 6) + "\n";
  return out;
}

nlohmann::json ranked_json(const std::vector<ScoredItem>& items, const std::string& name_key,
                           const std::string& value_key) {
  nlohmann::json a = nlohmann::json::array();
  for (const auto& i : items) a.push_back({{name_key, i.name}, {value_key, i.value}});
  return a;
}

}  // namespace collab::cli
