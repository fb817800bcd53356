// The parser's and encoder's rules for parsed, merged and encoded columns, checked a column at a
// time: what a parsed-data cache's body must pass before anything of it is used, whether it is read
// whole (parsed_cache.h) or a chunk at a time by a rank that never holds it all
// (parsed_cache_stream.h).
#pragma once

#include <cstddef>
#include <cstdint>
#include <vector>

#include "data/data_source.h"
#include "data/encoding.h"

namespace collab {

class ParsedColumnsCheck {
 public:
  ParsedColumnsCheck(const DataSource& source, size_t rows) : source_(source), rows_(rows) {}
  // The vocabularies first (the columns' ranges come from them): sorted distinct users, items
  // sorted by title or by movieId, #na# at 0, titles non-empty UTF-8.
  bool vocabulary(const Vocabulary& v);
  // Each column's values, in chunks of consecutive rows, any number of times each.
  void users(const std::int32_t* u, size_t n);
  void items(const std::int32_t* i, size_t n);
  void ratings(const float* r, size_t n);  // finite and in the format's range
  void movie_ids(const std::int32_t* m, size_t n);
  void timestamps(const std::int64_t* t, size_t n, bool has_timestamps);  // all 0 without timestamps
  // After every column: every value was in range, and every user and item was used.
  bool ok() const;

 private:
  const DataSource& source_;
  size_t rows_;
  std::int32_t users_ = 0, items_ = 0;
  std::vector<char> user_used_, item_used_;
  bool ok_ = true;
};

}  // namespace collab
