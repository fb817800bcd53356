#include "data/data_source.h"

#include <cstdio>
#include <filesystem>

#include "data/dataset_install.h"
#include "data/parsed_cache.h"
#include "data/ratings_loader.h"
#include "support/error.h"

namespace collab {

DataSource registered_data_source(const std::string& name, const std::string& data_dir, ItemKey key) {
  auto known = find_dataset(name);
  if (!known) {
    std::string names;
    for (const auto& d : known_datasets()) names += (names.empty() ? "" : ", ") + d.name;
    throw usage_error("unknown data set '" + name + "' (" + names + "; or --ratings F --movies F)");
  }
  const std::filesystem::path folder = std::filesystem::path(data_dir) / known->name;
  DataSource s;
  s.format = *known;
  s.ratings_path = (folder / known->ratings_file).string();
  s.movies_path = (folder / known->movies_file).string();
  s.install_dir = data_dir;
  s.description = known->name;
  s.item_key = key;
  return s;
}

DataSource csv_files_data_source(const std::string& ratings_path, const std::string& movies_path, ItemKey key) {
  DataSource s;
  s.format = *find_dataset("ml-latest-small");
  s.ratings_path = ratings_path;
  s.movies_path = movies_path;
  s.description = ratings_path + " + " + movies_path;
  s.item_key = key;
  return s;
}

EncodedRatings load_data_source(const DataSource& s) {
  EncodedRatings enc = parse_data_source(s);
  warn_dropped_ratings(s, enc.dropped_ratings);
  return enc;
}

EncodedRatings parse_data_source(const DataSource& s) {
  if (!s.install_dir.empty()) ensure_dataset(s.format, s.install_dir);
  const std::string cache_key = parsed_cache_key(s);
  std::optional<EncodedRatings> cached = read_parsed_cache(s, cache_key);
  if (!cached) {
    cached = merge_and_encode(read_data_files(s.format, s.ratings_path, s.movies_path), s.item_key);
    // For the next run, only when the files hold after the parse what they held before it (a
    // file edited meanwhile would leave columns under another content's key); a folder that
    // cannot be written goes without.
    if (!cache_key.empty() && parsed_cache_key(s) == cache_key) write_parsed_cache(s, cache_key, *cached);
  }
  return std::move(*cached);
}

void warn_dropped_ratings(const DataSource& s, size_t dropped) {
  if (dropped > 0)
    std::fprintf(stderr, "collab: warning: %zu ratings in %s have a movieId missing from %s; dropped\n", dropped,
                 s.ratings_path.c_str(), s.movies_path.c_str());
}

}  // namespace collab
