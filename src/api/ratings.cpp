// The public API's ratings: read from files or a registered set, encoded for training, and split.
#include <cmath>
#include <set>

#include "api/api_internal.h"
#include "data/data_dir.h"
#include "data/dataset_install.h"
#include "data/ratings_loader.h"
#include "support/error.h"
#include "train/split.h"

namespace collab {
namespace {

const char* const kTableName = "ratings table";

Ratings ratings_of_raw(RawDataset&& raw) {
  Ratings out;
  out.user_id = std::move(raw.ratings.user_id);
  out.movie_id = std::move(raw.ratings.movie_id);
  out.rating = std::move(raw.ratings.rating);
  if (raw.ratings.has_timestamps) out.timestamp = std::move(raw.ratings.timestamp);
  for (size_t m = 0; m < raw.movies.size(); ++m)
    out.titles.emplace(raw.movies.movie_id[m], std::move(raw.movies.title[m]));
  return out;
}

// The checks a ratings file's parser makes, on a table a program filled.
void check_table(const Ratings& r) {
  const size_t n = r.size();
  if (r.user_id.size() != n || r.movie_id.size() != n ||
      (!r.timestamp.empty() && r.timestamp.size() != n))
    throw data_error(std::string(kTableName) + ": its columns differ in length (user_id " +
                     std::to_string(r.user_id.size()) + ", movie_id " +
                     std::to_string(r.movie_id.size()) + ", rating " + std::to_string(n) +
                     ", timestamp " + std::to_string(r.timestamp.size()) + ")");
  if (n == 0) throw data_error(std::string(kTableName) + " is empty");
  for (size_t i = 0; i < n; ++i) {
    const std::string at = std::string(kTableName) + " line " + std::to_string(i) + ": ";
    if (r.user_id[i] < 0)
      throw data_error(at + "userId " + std::to_string(r.user_id[i]) + " is negative");
    if (r.movie_id[i] < 0)
      throw data_error(at + "movieId " + std::to_string(r.movie_id[i]) + " is negative");
    if (!std::isfinite(r.rating[i])) throw data_error(at + "rating is not a finite number");
  }
  for (const auto& [movie, title] : r.titles)
    if (movie < 0)
      throw data_error(std::string(kTableName) + ": titles: movieId " + std::to_string(movie) +
                       " is negative");
}

}  // namespace

std::string version() { return COLLAB_VERSION; }

Ratings read_ratings(const std::string& ratings_csv, const std::string& movies_csv) {
  if (!movies_csv.empty())
    return ratings_of_raw(
        read_data_files(*find_dataset("ml-latest-small"), ratings_csv, movies_csv));
  RawDataset raw;
  raw.ratings =
      read_ratings_csv_file(ratings_csv);  // any finite rating, as collab split writes them
  return ratings_of_raw(std::move(raw));
}

Ratings load_dataset(const std::string& name, const std::string& data_dir) {
  const DataSource source =
      registered_data_source(name, resolve_data_dir(data_dir), ItemKey::title);
  ensure_dataset(source.format, source.install_dir);
  return ratings_of_raw(read_data_files(source.format, source.ratings_path, source.movies_path));
}

EncodedRatings encode_ratings(const Ratings& ratings) {
  check_table(ratings);
  RawDataset raw;
  raw.ratings_path = kTableName;
  raw.movies_path = "its titles";
  RatingColumns& r = raw.ratings;
  r.user_id = ratings.user_id, r.movie_id = ratings.movie_id, r.rating = ratings.rating;
  r.has_timestamps = !ratings.timestamp.empty();
  r.timestamp = r.has_timestamps ? ratings.timestamp : std::vector<std::int64_t>(ratings.size(), 0);
  r.first_line = 0;
  if (ratings.titles.empty()) {  // keyed by movieId: every movie rated is an item named by its id
    for (std::int32_t movie :
         std::set<std::int32_t>(ratings.movie_id.begin(), ratings.movie_id.end()))
      raw.movies.movie_id.push_back(movie), raw.movies.title.push_back(std::to_string(movie));
    return merge_and_encode(std::move(raw), ItemKey::movie_id);
  }
  for (const auto& [movie, title] : ratings.titles)
    raw.movies.movie_id.push_back(movie), raw.movies.title.push_back(title);
  return merge_and_encode(std::move(raw), ItemKey::title);
}

Ratings ratings_of_rows(const EncodedRatings& data, const std::vector<std::int32_t>& rows,
                        const std::map<std::int32_t, std::string>& titles) {
  Ratings out;
  out.titles = titles;
  for (std::int32_t row : rows) {
    const auto r = static_cast<size_t>(row);
    out.add(data.vocabulary.user_ids[static_cast<size_t>(data.user[r])], data.movie_id[r],
            data.rating[r]);
    if (data.has_timestamps) out.timestamp.push_back(data.timestamp[r]);
  }
  return out;
}

SplitSpec split_spec_of(const SplitOptions& o) {
  SplitSpec spec;
  spec.kind = parse_split(o.kind);
  if (spec.kind == SplitKind::given)
    throw usage_error("split kind 'given' takes a file: split the rows yourself");
  spec.valid_pct = o.valid_pct;
  spec.test_pct = o.test_pct;
  spec.valid_last = o.valid_last;
  if (spec.valid_last < 1)
    throw usage_error("valid_last " + std::to_string(o.valid_last) + " is not at least 1");
  check_split_spec(spec);
  return spec;
}

Split split(const Ratings& ratings, const SplitOptions& options) {
  const SplitSpec spec = split_spec_of(options);
  const EncodedRatings data = encode_ratings(ratings);
  const TrainValidSplit parts = split_ratings(data, spec, options.seed);
  return {ratings_of_rows(data, parts.train_rows, ratings.titles),
          ratings_of_rows(data, parts.valid_rows, ratings.titles),
          ratings_of_rows(data, parts.test_rows, ratings.titles)};
}

}  // namespace collab
