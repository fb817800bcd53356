#include "data/ratings_loader.h"

#include <limits>  // csv.h uses std::numeric_limits without including it

#include <csv.h>  // fast-cpp-csv-parser

#include <charconv>
#include <cstring>
#include <unordered_set>
#include <cmath>
#include <filesystem>
#include <limits>

#include "support/error.h"
#include "support/files.h"
#include "support/utf8.h"

namespace collab {
namespace {

// "ratings.csv line 17: field 'rating': 'x' is not a number"
[[noreturn]] void bad_field(const std::string& file, unsigned line, const std::string& field,
                            const std::string& what) {
  throw data_error(file + " line " + std::to_string(line) + ": field '" + field + "': " + what);
}

std::string shown(const char* text) {
  std::string s(text);
  if (s.size() > 40) s = s.substr(0, 40) + "...";
  return "'" + s + "'";
}

std::int32_t parse_id(const char* text, const std::string& file, unsigned line,
                      const std::string& field) {
  if (!text || !*text) bad_field(file, line, field, "is empty");
  std::int64_t value = 0;
  const char* end = text + std::strlen(text);
  auto [ptr, ec] = std::from_chars(text, end, value);
  if (ec == std::errc::result_out_of_range ||
      (ec == std::errc() && ptr == end && value > std::numeric_limits<std::int32_t>::max()))
    bad_field(file, line, field, shown(text) + " does not fit in a 32-bit id");
  if (ec != std::errc() || ptr != end) bad_field(file, line, field, shown(text) + " is not an integer");
  if (value < 0) bad_field(file, line, field, shown(text) + " is negative");
  return static_cast<std::int32_t>(value);
}

std::int64_t parse_timestamp(const char* text, const std::string& file, unsigned line) {
  if (!text || !*text) bad_field(file, line, "timestamp", "is empty");
  std::int64_t value = 0;
  const char* end = text + std::strlen(text);
  auto [ptr, ec] = std::from_chars(text, end, value);
  if (ec != std::errc() || ptr != end) bad_field(file, line, "timestamp", shown(text) + " is not an integer");
  return value;
}

float parse_rating(const char* text, const std::string& file, unsigned line, float lo, float hi) {
  const std::string field = "rating";
  if (!text || !*text) bad_field(file, line, field, "is empty");
  const char* end = text + std::strlen(text);
  float value = 0;
  auto [ptr, ec] = std::from_chars(text, end, value);
  if (ec != std::errc() || ptr != end) bad_field(file, line, field, shown(text) + " is not a number");
  if (std::isnan(value)) bad_field(file, line, field, shown(text) + " is not a number (NaN)");
  if (value < lo || value > hi) {
    char range[64];
    std::snprintf(range, sizeof range, " is outside this data set's range %g..%g", lo, hi);
    bad_field(file, line, field, shown(text) + range);
  }
  return value;
}

// Turns the parser's own exceptions into our one-line message with file, line and column.
[[noreturn]] void rethrow_parser_error(const io::error::base& e, const std::string& file,
                                       unsigned fallback_line) {
  unsigned line = fallback_line;
  if (auto* l = dynamic_cast<const io::error::with_file_line*>(&e); l && l->file_line > 0)
    line = static_cast<unsigned>(l->file_line);
  std::string what;
  if (dynamic_cast<const io::error::header_missing*>(&e)) {
    throw data_error(file + " line 1: the file is empty (no header)");
  } else if (auto* m = dynamic_cast<const io::error::missing_column_in_header*>(&e)) {
    throw data_error(file + " line 1: header: missing column '" + m->column_name + "'");
  } else if (auto* x = dynamic_cast<const io::error::extra_column_in_header*>(&e)) {
    throw data_error(file + " line 1: header: unexpected column '" + x->column_name + "'");
  } else if (auto* d = dynamic_cast<const io::error::duplicated_column_in_header*>(&e)) {
    throw data_error(file + " line 1: header: column '" + d->column_name + "' appears twice");
  } else if (dynamic_cast<const io::error::too_few_columns*>(&e)) {
    what = "too few fields (a missing column)";
  } else if (dynamic_cast<const io::error::too_many_columns*>(&e)) {
    what = "too many fields (an extra field)";
  } else if (dynamic_cast<const io::error::escaped_string_not_closed*>(&e)) {
    what = "a quoted field is not closed";
  } else if (dynamic_cast<const io::error::line_length_limit_exceeded*>(&e)) {
    what = "the line is too long";
  } else {
    what = e.what();
  }
  throw data_error(file + " line " + std::to_string(line) + ": " + what);
}

using CsvRatingsReader = io::CSVReader<4, io::trim_chars<' ', '\t'>, io::double_quote_escape<',', '"'>,
                                       io::throw_on_overflow, io::no_comment>;
using CsvMoviesReader = io::CSVReader<3, io::trim_chars<>, io::double_quote_escape<',', '"'>,
                                      io::throw_on_overflow, io::no_comment>;

void reserve_for(std::istream& in, RatingColumns& r) {
  // About 25 bytes a line in every GroupLens ratings format: avoids regrowing 25M-row columns.
  auto here = in.tellg();
  if (here < 0) return;
  in.seekg(0, std::ios::end);
  auto end = in.tellg();
  in.seekg(here);
  if (end > here) {
    size_t rows = static_cast<size_t>(end - here) / 20 + 16;
    r.user_id.reserve(rows);
    r.movie_id.reserve(rows);
    r.rating.reserve(rows);
    r.timestamp.reserve(rows);
  }
}

// Splits `line` in place on `sep`; returns the number of fields found (at most `max`).
size_t split_fields(char* line, const std::string& sep, char** fields, size_t max) {
  size_t n = 0;
  char* p = line;
  fields[n++] = p;
  while (n < max) {
    char* hit = std::strstr(p, sep.c_str());
    if (!hit) break;
    *hit = '\0';
    p = hit + sep.size();
    fields[n++] = p;
  }
  return n;
}

}  // namespace

unsigned RatingColumns::line_of(size_t row) const {
  auto line = static_cast<unsigned>(first_line + row);
  for (unsigned blank : blank_lines) line += blank <= line;  // sorted: each one moves the rest down
  return line;
}

std::string latin1_to_utf8(const std::string& latin1) {
  std::string out;
  out.reserve(latin1.size() + 8);
  for (unsigned char c : latin1) {
    if (c < 0x80) {
      out += static_cast<char>(c);
    } else {
      out += static_cast<char>(0xC0 | (c >> 6));
      out += static_cast<char>(0x80 | (c & 0x3F));
    }
  }
  return out;
}

RatingColumns read_ratings_csv(const std::string& name, std::istream& in, float lo, float hi) {
  RatingColumns r;
  reserve_for(in, r);
  unsigned line = 1;
  try {
    CsvRatingsReader csv(name, in);
    csv.read_header(io::ignore_no_column, "userId", "movieId", "rating", "timestamp");
    r.has_timestamps = csv.has_column("timestamp");
    char *user = nullptr, *movie = nullptr, *rating = nullptr, *timestamp = nullptr;
    while (csv.read_row(user, movie, rating, timestamp)) {
      line = csv.get_file_line();
      r.user_id.push_back(parse_id(user, name, line, "userId"));
      r.movie_id.push_back(parse_id(movie, name, line, "movieId"));
      r.rating.push_back(parse_rating(rating, name, line, lo, hi));
      r.timestamp.push_back(r.has_timestamps ? parse_timestamp(timestamp, name, line) : 0);
    }
  } catch (const io::error::base& e) {
    rethrow_parser_error(e, name, line + 1);
  }
  if (r.size() == 0) throw data_error(name + " line 2: no ratings after the header");
  return r;
}

MovieColumns read_movies_csv(const std::string& name, std::istream& in) {
  MovieColumns m;
  std::unordered_set<std::int32_t> seen;
  unsigned line = 1;
  try {
    CsvMoviesReader csv(name, in);
    csv.read_header(io::ignore_no_column, "movieId", "title", "genres");
    char *id = nullptr, *title = nullptr, *genres = nullptr;
    while (csv.read_row(id, title, genres)) {
      line = csv.get_file_line();
      m.movie_id.push_back(parse_id(id, name, line, "movieId"));
      if (!seen.insert(m.movie_id.back()).second)
        bad_field(name, line, "movieId", shown(id) + " appears twice");
      std::string t(title);
      if (t.empty()) bad_field(name, line, "title", "is empty");
      if (!valid_utf8(t)) bad_field(name, line, "title", "is not valid UTF-8");
      m.title.push_back(std::move(t));
    }
  } catch (const io::error::base& e) {
    rethrow_parser_error(e, name, line + 1);
  }
  if (m.size() == 0) throw data_error(name + " line 2: no movies after the header");
  return m;
}

RatingColumns read_ratings_delimited(const std::string& name, std::istream& in,
                                     const std::string& sep, float lo, float hi) {
  RatingColumns r;
  reserve_for(in, r);
  r.first_line = 0;
  unsigned line = 0;
  try {
    io::LineReader reader(name, in);
    char* fields[5] = {};
    while (char* text = reader.next_line()) {
      line = reader.get_file_line();
      if (r.first_line == 0) r.first_line = line;
      if (!*text) {  // a blank line, often the last
        if (r.size() > 0) r.blank_lines.push_back(line);
        else r.first_line = 0;
        continue;
      }
      size_t n = split_fields(text, sep, fields, 5);
      if (n < 3) throw data_error(name + " line " + std::to_string(line) + ": too few fields (a missing column)");
      if (n > 4) throw data_error(name + " line " + std::to_string(line) + ": too many fields (an extra field)");
      r.user_id.push_back(parse_id(fields[0], name, line, "userId"));
      r.movie_id.push_back(parse_id(fields[1], name, line, "movieId"));
      r.rating.push_back(parse_rating(fields[2], name, line, lo, hi));
      if (n == 4) r.timestamp.push_back(parse_timestamp(fields[3], name, line));
      else r.has_timestamps = false, r.timestamp.push_back(0);
    }
  } catch (const io::error::base& e) {
    rethrow_parser_error(e, name, line + 1);
  }
  if (r.size() == 0) throw data_error(name + " line 1: the file holds no ratings");
  return r;
}

MovieColumns read_movies_delimited(const std::string& name, std::istream& in,
                                   const std::string& sep, bool latin1) {
  MovieColumns m;
  std::unordered_set<std::int32_t> seen;
  unsigned line = 0;
  try {
    io::LineReader reader(name, in);
    char* fields[3];
    while (char* text = reader.next_line()) {
      line = reader.get_file_line();
      if (!*text) continue;
      size_t n = split_fields(text, sep, fields, 3);
      if (n < 2) throw data_error(name + " line " + std::to_string(line) + ": too few fields (a missing column)");
      m.movie_id.push_back(parse_id(fields[0], name, line, "movieId"));
      if (!seen.insert(m.movie_id.back()).second)
        bad_field(name, line, "movieId", shown(fields[0]) + " appears twice");
      std::string t = fields[1];
      if (latin1) t = latin1_to_utf8(t);
      else if (!valid_utf8(t)) bad_field(name, line, "title", "is not valid UTF-8");
      if (t.empty()) bad_field(name, line, "title", "is empty");
      m.title.push_back(std::move(t));
    }
  } catch (const io::error::base& e) {
    rethrow_parser_error(e, name, line + 1);
  }
  if (m.size() == 0) throw data_error(name + " line 1: the file holds no movies");
  return m;
}

RatingColumns read_ratings_csv_file(const std::string& path) {
  const auto in = open_input_stream(path, "ratings file");
  return read_ratings_csv(input_name(path), *in, -std::numeric_limits<float>::max(), std::numeric_limits<float>::max());
}

PersonRatings read_person_ratings(const std::string& path, float lo, float hi) {
  const auto in = open_input_stream(path, "ratings file");
  const std::string name = input_name(path);
  PersonRatings p;
  unsigned line = 1;
  try {
    // One pass, so that a pipe works: the header names the item column, title or movieId.
    io::CSVReader<3, io::trim_chars<' ', '\t'>, io::double_quote_escape<',', '"'>, io::throw_on_overflow, io::no_comment>
        csv(name, *in);
    csv.read_header(io::ignore_missing_column, "title", "movieId", "rating");
    const bool title = csv.has_column("title"), movie = csv.has_column("movieId");
    if (title == movie || !csv.has_column("rating"))
      throw data_error(name + " line 1: header: expected title,rating or movieId,rating");
    p.by_title = title;
    const char* key_column = p.by_title ? "title" : "movieId";
    char *title_text = nullptr, *movie_text = nullptr, *rating = nullptr;
    while (csv.read_row(title_text, movie_text, rating)) {
      line = csv.get_file_line();
      if (p.keys.size() == kMaxPersonRatings)
        throw data_error(name + " line " + std::to_string(line) + ": more than " + std::to_string(kMaxPersonRatings) +
                         " ratings for one person");
      const char* key = p.by_title ? title_text : movie_text;
      if (!key || !*key) bad_field(name, line, key_column, "is empty");
      if (p.by_title && !valid_utf8(key)) bad_field(name, line, "title", "is not valid UTF-8");
      if (!p.by_title) parse_id(key, name, line, "movieId");
      p.keys.emplace_back(key);
      p.rating.push_back(parse_rating(rating, name, line, lo, hi));
      p.line.push_back(line);
    }
  } catch (const io::error::base& e) {
    rethrow_parser_error(e, name, line + 1);
  }
  if (p.keys.empty()) throw data_error(name + " line 2: no ratings after the header");
  return p;
}

RawDataset read_dataset_files(const DatasetInfo& d, const std::string& folder) {
  namespace fs = std::filesystem;
  return read_data_files(d, (fs::path(folder) / d.ratings_file).string(), (fs::path(folder) / d.movies_file).string());
}

RawDataset read_data_files(const DatasetInfo& d, const std::string& ratings_path, const std::string& movies_path) {
  RawDataset raw;
  raw.ratings_path = input_name(ratings_path);
  raw.movies_path = input_name(movies_path);
  // Both opened before either is parsed: a missing movies file is said at once, not after 5 s.
  const auto ratings = open_input_stream(ratings_path, "ratings file");
  const auto movies = open_input_stream(movies_path, "movies file");
  switch (d.format) {
    case FileFormat::csv: raw.ratings = read_ratings_csv(raw.ratings_path, *ratings, d.min_rating, d.max_rating); break;
    case FileFormat::ml100k:
      raw.ratings = read_ratings_delimited(raw.ratings_path, *ratings, "\t", d.min_rating, d.max_rating);
      break;
    case FileFormat::dat:
      raw.ratings = read_ratings_delimited(raw.ratings_path, *ratings, "::", d.min_rating, d.max_rating);
      break;
  }
  switch (d.format) {
    case FileFormat::csv: raw.movies = read_movies_csv(raw.movies_path, *movies); break;
    case FileFormat::ml100k: raw.movies = read_movies_delimited(raw.movies_path, *movies, "|", d.latin1); break;
    case FileFormat::dat: raw.movies = read_movies_delimited(raw.movies_path, *movies, "::", d.latin1); break;
  }
  return raw;
}

}  // namespace collab
