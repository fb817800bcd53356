#include "common_options.h"

#include <charconv>
#include <cmath>
#include <cstdio>
#include <cstdlib>
#include <limits>

#include "data/data_dir.h"
#include "model/model_file.h"
#include "support/error.h"

namespace collab::cli {

namespace {
std::vector<std::string> registered_names() {
  std::vector<std::string> names;
  for (const auto& d : known_datasets()) names.push_back(d.name);
  return names;
}
}  // namespace

void add_data_options(CLI::App* verb, DataOptions& o) {
  verb->add_option("--data-dir", o.data_dir,
                   "Folder of data sets (default: $COLLAB_DATA_DIR, else ./data)");
  std::string names;
  for (const auto& n : registered_names()) names += (names.empty() ? "" : ", ") + n;
  auto* ds = verb->add_option("--dataset", o.dataset, "GroupLens data set: " + names + "; downloaded on first use")
                 ->check(CLI::IsMember(registered_names()))
                 ->capture_default_str();
  // Not checked here: a missing file is exit 66 from the loader, as the contract says, not a usage error.
  auto* r = verb->add_option("--ratings", o.ratings, "A ratings CSV (userId,movieId,rating,timestamp)");
  auto* m = verb->add_option("--movies", o.movies, "A movies CSV (movieId,title,genres)");
  r->needs(m);
  m->needs(r);
  r->excludes(ds);
  m->excludes(ds);
  add_enum_option<ItemKey>(verb, "--item-key", o.item_key, {{"title", ItemKey::title}, {"movieId", ItemKey::movie_id}},
                           "What identifies an item: title (as the seed) or movieId");
}

DataSource data_source(const DataOptions& o) {
  if (!o.ratings.empty()) return csv_files_data_source(o.ratings, o.movies, o.item_key);
  return registered_data_source(o.dataset, resolve_data_dir(o.data_dir), o.item_key);
}

void add_format_option(CLI::App* verb, std::string& format, const std::vector<std::string>& choices) {
  format = choices.front();
  std::string list;
  for (const auto& c : choices) list += (list.empty() ? "" : "|") + c;
  verb->add_option("--format", format, "Output: " + list + " (table for eyes, the others for scripts)")
      ->check(CLI::IsMember(choices))
      ->capture_default_str();
}

CLI::Validator finite_number(double lo, double hi, bool above_lo) {
  return CLI::Validator(
      [=](std::string& text) -> std::string {
        char* end = nullptr;
        const double x = std::strtod(text.c_str(), &end);
        if (text.empty() || end != text.c_str() + text.size()) return "'" + text + "' is not a number";
        if (!std::isfinite(x)) return "'" + text + "' is not a finite number";
        if (above_lo ? !(x > lo) : !(x >= lo)) return "'" + text + "' must be " + (above_lo ? "above " : "at least ") + CLI::detail::to_string(lo);
        if (x > hi) return "'" + text + "' must be at most " + CLI::detail::to_string(hi);
        return "";
      },
      "NUMBER");
}

CLI::Validator positive_number() { return finite_number(0, std::numeric_limits<double>::max(), true); }
CLI::Validator non_negative_number() { return finite_number(0, std::numeric_limits<double>::max()); }

namespace {
// Digits only (a '-' first where T is signed), and a value that fits T: CLI11 alone wraps "-1"
// into an unsigned integer and clamps 2^64 into a signed one.
template <class T>
CLI::Validator whole_number_of(const std::string& range) {
  return CLI::Validator(
      [range](std::string& text) -> std::string {
        T x{};
        const char* end = text.c_str() + text.size();
        auto [ptr, ec] = std::from_chars(text.c_str(), end, x);
        if (ec == std::errc::result_out_of_range) return "'" + text + "' is out of range (" + range + ")";
        if (text.empty() || text[0] == '+' || ec != std::errc() || ptr != end)
          return "'" + text + "' is not a whole number (" + range + ")";
        return "";
      },
      "INTEGER");
}
}  // namespace

const CLI::Validator& unsigned_integer_64() {
  static const CLI::Validator v = whole_number_of<std::uint64_t>("0 to 18446744073709551615");
  return v;
}

const CLI::Validator& signed_integer_64() {
  static const CLI::Validator v = whole_number_of<std::int64_t>("-9223372036854775808 to 9223372036854775807");
  return v;
}

CLI::Option* add_seed_option(CLI::App* verb, std::uint64_t& seed, const std::string& what) {
  return verb->add_option("--seed", seed, what)->check(unsigned_integer_64());
}

void add_model_option(CLI::App* verb, std::string& model_path, const std::string& what) {
  model_path = default_model_path();
  verb->add_option("--model", model_path, what)->capture_default_str();
}

}  // namespace collab::cli
