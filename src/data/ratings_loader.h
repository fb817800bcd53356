// Reads MovieLens ratings and movies files, in every GroupLens format, into plain columns.
// Knows nothing of training: the next stage (encoding.h) merges and encodes these columns.
#pragma once

#include <cstdint>
#include <istream>
#include <string>
#include <vector>

#include "data/dataset_registry.h"

namespace collab {

struct RatingColumns {
  std::vector<std::int32_t> user_id;
  std::vector<std::int32_t> movie_id;
  std::vector<float> rating;
  std::vector<std::int64_t> timestamp;  // seconds since 1970; 0 where the file has none
  bool has_timestamps = true;           // false: a CSV without a timestamp column
  // Where each row stands in its file, for messages about a row found later (a repeated pair):
  // row r is on line first_line + r, plus one for each skipped blank line at or before it.
  unsigned first_line = 2;
  std::vector<unsigned> blank_lines;
  unsigned line_of(size_t row) const;
  size_t size() const { return rating.size(); }
};

struct MovieColumns {
  std::vector<std::int32_t> movie_id;
  std::vector<std::string> title;  // UTF-8
  size_t size() const { return movie_id.size(); }
};

struct RawDataset {
  std::string ratings_path;
  std::string movies_path;
  RatingColumns ratings;
  MovieColumns movies;
};

// Reads a data set's two files in `format`. Bad input throws ExitCode::data naming file, line and
// field; a missing file, or one that is not a regular file, ExitCode::no_input.
RawDataset read_data_files(const DatasetInfo& format, const std::string& ratings_path, const std::string& movies_path);
// The same for a registered set unpacked into `folder`.
RawDataset read_dataset_files(const DatasetInfo& dataset, const std::string& folder);

// The single-file readers, from a stream so that tests and the fuzzer can feed them bytes.
// `name` is what error messages call the file.
RatingColumns read_ratings_csv(const std::string& name, std::istream& in, float min_rating,
                               float max_rating);
MovieColumns read_movies_csv(const std::string& name, std::istream& in);
RatingColumns read_ratings_delimited(const std::string& name, std::istream& in,
                                     const std::string& separator, float min_rating,
                                     float max_rating);
MovieColumns read_movies_delimited(const std::string& name, std::istream& in,
                                   const std::string& separator, bool latin1);

// A ratings CSV (userId,movieId,rating[,timestamp]) as `collab split` writes them, whatever the
// data set's own format; any finite rating.
RatingColumns read_ratings_csv_file(const std::string& path);

// One person's ratings for `--ratings-of`: a CSV with a header `title,rating` or `movieId,rating`
// (the item column first). keys are the titles or the movieIds as written.
struct PersonRatings {
  bool by_title = true;
  std::vector<std::string> keys;
  std::vector<float> rating;
  std::vector<unsigned> line;  // each rating's line, for messages
};
// At most kMaxPersonRatings rows (a data error beyond), so that any input answers quickly.
constexpr size_t kMaxPersonRatings = 100000;
PersonRatings read_person_ratings(const std::string& path, float min_rating, float max_rating);

// Latin-1 bytes to UTF-8.
std::string latin1_to_utf8(const std::string& latin1);

}  // namespace collab
