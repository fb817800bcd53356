// Where a run's ratings come from, resolved once from the options and passed along the pipeline:
// a registered GroupLens set in a data directory (downloaded when missing), or two CSV files in
// the small set's format. Every later stage reads paths and formats from here; none re-derives them.
#pragma once

#include <string>

#include "data/dataset_registry.h"
#include "data/encoding.h"

namespace collab {

struct DataSource {
  DatasetInfo format;        // the files' format and rating range (ml-latest-small's for CSV files)
  std::string ratings_path;  // the two files to read
  std::string movies_path;
  std::string install_dir;   // a registered set: the data directory to download it into; else empty
  std::string description;   // "ml-latest-small", or "RATINGS + MOVIES": for model files and messages
  ItemKey item_key = ItemKey::title;
};

// A registered set by name (a usage error naming the known sets if there is none such) in
// `data_dir` (resolve_data_dir's answer).
DataSource registered_data_source(const std::string& name, const std::string& data_dir, ItemKey key);
// Two CSV files in ml-latest-small's format.
DataSource csv_files_data_source(const std::string& ratings_path, const std::string& movies_path, ItemKey key);

// Downloads a registered set when it is missing, then parses, merges and encodes; warns on
// stderr about ratings whose movieId has no movie.
EncodedRatings load_data_source(const DataSource& source);
// The same without the warning, for callers that say it once for several processes.
EncodedRatings parse_data_source(const DataSource& source);
// The warning about ratings whose movieId has no movie, on stderr (none for 0).
void warn_dropped_ratings(const DataSource& source, size_t dropped);

}  // namespace collab
