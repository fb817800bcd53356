// Options several verbs share (data source, format, model path) and the steps that go with them.
#pragma once

#include <CLI/CLI.hpp>
#include <string>

#include "data/data_source.h"

namespace collab::cli {

struct DataOptions {
  std::string data_dir;                  // --data-dir, else $COLLAB_DATA_DIR, else ./data
  std::string dataset = "ml-latest-small";
  std::string ratings;                   // --ratings/--movies: CSV files in the small set's format
  std::string movies;
  ItemKey item_key = ItemKey::title;
};

// --data-dir, --dataset (one of the registry's names), --ratings/--movies, --item-key.
void add_data_options(CLI::App* verb, DataOptions& o);

// Where the options say the ratings are, resolved once for the whole pipeline.
DataSource data_source(const DataOptions& o);

// --format with the given choices; the first is the default.
void add_format_option(CLI::App* verb, std::string& format, const std::vector<std::string>& choices);

void add_model_option(CLI::App* verb, std::string& model_path, const std::string& what);

// Validators for numeric options, so that a value is either what the user meant or a usage error
// (64) naming the option; CLI11 alone accepts "nan" and "inf" for doubles, and wraps "-1" and
// 2^64 into an unsigned integer.
// A finite number (not NaN or infinite) in [lo, hi], or in (lo, hi] when `above_lo`.
CLI::Validator finite_number(double lo, double hi, bool above_lo = false);
CLI::Validator positive_number();      // finite, above 0
CLI::Validator non_negative_number();  // finite, 0 or more
const CLI::Validator& unsigned_integer_64();  // 0 to 2^64-1, digits only
const CLI::Validator& signed_integer_64();    // -2^63 to 2^63-1

// An option whose words map to an enum: only the words are accepted (CLI11's own transformers also
// take the enum's numbers), help lists them, and the default shown is `value`'s word.
template <class T>
CLI::Option* add_enum_option(CLI::App* verb, const std::string& name, T& value,
                             const std::vector<std::pair<std::string, T>>& words, const std::string& help) {
  std::vector<std::string> names;
  std::string list, current;
  for (const auto& [word, v] : words) {
    names.push_back(word);
    list += (list.empty() ? "" : "|") + word;
    if (v == value) current = word;
  }
  // CLI11 runs the transformer added last first: the word check, then the mapping.
  return verb->add_option(name, value, help)
      ->transform(CLI::Transformer(words).description(""))
      ->transform(CLI::IsMember(names).description(""))
      ->type_name(list)
      ->default_str(current);
}

// --seed N for `verb`, checked by unsigned_integer_64.
CLI::Option* add_seed_option(CLI::App* verb, std::uint64_t& seed, const std::string& what);

}  // namespace collab::cli
