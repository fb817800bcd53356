#include "data/dataset_registry.h"

#include <algorithm>
#include <cctype>

#include "support/error.h"

namespace collab {
namespace {

const char* const kBaseUrl = "https://files.grouplens.org/datasets/movielens/";

DatasetInfo entry(const std::string& name, const std::string& md5, FileFormat format,
                  bool latin1, float min_rating) {
  DatasetInfo d;
  d.name = name;
  d.url = std::string(kBaseUrl) + name + ".zip";
  d.md5 = md5;
  d.format = format;
  switch (format) {
    case FileFormat::csv: d.ratings_file = "ratings.csv"; d.movies_file = "movies.csv"; break;
    case FileFormat::ml100k: d.ratings_file = "u.data"; d.movies_file = "u.item"; break;
    case FileFormat::dat: d.ratings_file = "ratings.dat"; d.movies_file = "movies.dat"; break;
  }
  d.latin1 = latin1;
  d.min_rating = min_rating;
  d.max_rating = 5.0f;
  return d;
}

}  // namespace

const std::vector<DatasetInfo>& known_datasets() {
  // MD5s as GroupLens publishes them beside each archive; the "latest" sets change over time, so
  // their checksum is fetched from <name>.zip.md5 at download time instead.
  static const std::vector<DatasetInfo> sets = {
      entry("ml-latest-small", "", FileFormat::csv, false, 0.5f),
      entry("ml-100k", "0e33842e24a9c977be4e0107933c0723", FileFormat::ml100k, true, 1.0f),
      entry("ml-1m", "c4d9eecfca2ab87c1945afe126590906", FileFormat::dat, true, 1.0f),
      entry("ml-10m", "ce571fd55effeba0271552578f2648bd", FileFormat::dat, false, 0.5f),
      entry("ml-20m", "cd245b17a1ae2cc31bb14903e1204af3", FileFormat::csv, false, 0.5f),
      entry("ml-25m", "6b51fb2759a8657d3bfcbfc42b592ada", FileFormat::csv, false, 0.5f),
      entry("ml-32m", "", FileFormat::csv, false, 0.5f),
      entry("ml-latest", "", FileFormat::csv, false, 0.5f),
  };
  return sets;
}

void check_dataset_name(const std::string& name, const std::string& option) {
  const bool plain = !name.empty() && name != "." && name != ".." && name.size() <= 128 &&
                     std::all_of(name.begin(), name.end(), [](unsigned char c) {
                       return std::isalnum(c) || c == '-' || c == '_' || c == '.';
                     });
  if (!plain)
    throw usage_error(option + ": '" + name + "' is not a data set name (letters, digits, '-', '_' and '.'; "
                      "not a path)");
}

std::optional<DatasetInfo> find_dataset(const std::string& name) {
  for (const auto& d : known_datasets())
    if (d.name == name) return d;
  return std::nullopt;
}

std::string dataset_name_from_url(const std::string& url) {
  std::string path = url.substr(0, url.find_first_of("?#"));
  while (!path.empty() && path.back() == '/') path.pop_back();
  std::string base = path.substr(path.find_last_of('/') + 1);
  const std::string zip = ".zip";
  if (base.size() > zip.size() && base.compare(base.size() - zip.size(), zip.size(), zip) == 0)
    base.resize(base.size() - zip.size());
  return base;
}

}  // namespace collab
