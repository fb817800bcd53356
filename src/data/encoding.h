// Merges ratings with movie titles (an inner join on movieId, like pd.merge) and encodes users and
// items as contiguous indices in sorted order, index 0 reserved for "#na#" as fastai's Categorify.
#pragma once

#include <cstdint>
#include <string>
#include <vector>

#include "data/rating_set.h"
#include "data/ratings_loader.h"

namespace collab {

enum class ItemKey { title, movie_id };

// The id vocabularies a saved model needs to map indices back to users and titles.
struct Vocabulary {
  ItemKey item_key = ItemKey::title;
  std::vector<std::int32_t> user_ids;     // [0] is #na# (-1)
  std::vector<std::string> item_titles;   // [0] is "#na#"
  std::vector<std::int32_t> item_movie_ids;  // [0] is -1; for title keys the smallest movieId
  size_t user_rows() const { return user_ids.size(); }  // distinct users + 1
  size_t item_rows() const { return item_titles.size(); }
};

// The data set: its ratings (rows of `vocabulary`) and, beside them, each rating's own movieId and
// time.
struct EncodedRatings : RatingSet {
  std::vector<std::int32_t> movie_id;   // each rating's own movieId (an item may have several)
  std::vector<std::int64_t> timestamp;  // 0 where the file has none
  bool has_timestamps = true;
  Vocabulary vocabulary;
  size_t dropped_ratings = 0;      // ratings whose movieId has no movie
};

// Consumes `raw` (its columns are moved or freed) to keep peak memory low on large sets.
EncodedRatings merge_and_encode(RawDataset&& raw, ItemKey key);

}  // namespace collab
