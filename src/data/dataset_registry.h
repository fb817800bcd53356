// Every GroupLens data set the tool knows: one place for its URL, checksum, format and rating range.
#pragma once

#include <optional>
#include <string>
#include <vector>

namespace collab {

enum class FileFormat {
  csv,      // ratings.csv + movies.csv, UTF-8, quoted titles (ml-latest-small, ml-20m/25m/32m, latest)
  ml100k,   // u.data (tab-separated) + u.item (pipe-separated, Latin-1)
  dat,      // ratings.dat + movies.dat, "::"-separated (ml-1m in Latin-1, ml-10m in UTF-8)
};

struct DatasetInfo {
  std::string name;
  std::string url;
  std::string md5;           // empty where GroupLens changes the archive over time
  FileFormat format;
  std::string ratings_file;  // relative to the unpacked data set folder
  std::string movies_file;
  bool latin1;               // titles need converting to UTF-8
  float min_rating;          // the valid range of a rating in this data set
  float max_rating;
};

const std::vector<DatasetInfo>& known_datasets();

// A data set's name is a folder name under the data directory, never a path: letters, digits,
// '-', '_' and '.', not "." or "..". Throws a usage error naming `option` otherwise.
void check_dataset_name(const std::string& name, const std::string& option);
std::optional<DatasetInfo> find_dataset(const std::string& name);

// "https://host/path/ml-latest-small.zip?x" -> "ml-latest-small".
std::string dataset_name_from_url(const std::string& url);

}  // namespace collab
