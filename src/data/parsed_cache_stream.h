// Reads a parsed-data cache (parsed_cache.h; the same file and the same trust) whole, or a chunk
// of rows at a time for a process that must never hold every rating: a rank of sharded training
// that keeps only its own users' ratings (pipeline/rank_local.h).
#pragma once

#include <cstddef>
#include <cstdint>
#include <functional>
#include <memory>
#include <string>

#include "data/data_source.h"
#include "data/encoding.h"

namespace collab {

class ParsedCacheStream {
 public:
  // The cache of `source` if it is there under `key`, trusted and whole: every byte of its body is
  // read once and hashed against its checksum, and every value checked (parsed_columns_check.h).
  // With `whole`, the columns and vocabularies are read into it on the way; else only the
  // vocabularies are kept. nullptr when any of it fails.
  static std::unique_ptr<ParsedCacheStream> open(const DataSource& source, const std::string& key,
                                                 EncodedRatings* whole = nullptr);
  ~ParsedCacheStream();

  size_t size() const { return rows_; }
  bool has_timestamps() const { return has_timestamps_; }
  size_t dropped_ratings() const { return dropped_; }
  const Vocabulary& vocabulary() const { return vocabulary_; }
  Vocabulary take_vocabulary() { return std::move(vocabulary_); }

  // Every row's user, item and rating in the file's order, `chunk` rows a call:
  // fn(first row, rows, user, item, rating). A read that fails is a data error.
  using Chunk = std::function<void(size_t first, size_t n, const std::int32_t* user, const std::int32_t* item,
                                   const float* rating)>;
  void for_each_chunk(const Chunk& fn, size_t chunk = size_t{1} << 20) const;

 private:
  ParsedCacheStream() = default;
  int fd_ = -1;
  std::string path_;
  size_t rows_ = 0, dropped_ = 0;
  bool has_timestamps_ = true;
  std::uint64_t user_at_ = 0, item_at_ = 0, rating_at_ = 0;  // where each column's values start
  Vocabulary vocabulary_;
};

}  // namespace collab
