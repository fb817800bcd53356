#include "model/fingerprint.h"

#include <cstdio>
#include <cstring>

#include "train/split.h"

namespace collab {

void Fnv1a64::add_bytes(const void* data, size_t size) {
  const auto* bytes = static_cast<const unsigned char*>(data);
  for (size_t i = 0; i < size; ++i) {
    hash_ ^= bytes[i];
    hash_ *= 0x100000001b3ULL;  // the 64-bit FNV prime
  }
}

void Fnv1a64::add(std::uint64_t value) {
  unsigned char bytes[8];
  for (int i = 0; i < 8; ++i) bytes[i] = static_cast<unsigned char>(value >> (8 * i));
  add_bytes(bytes, sizeof bytes);
}

void Fnv1a64::add(float value) {
  std::uint32_t bits;
  std::memcpy(&bits, &value, sizeof bits);
  add(static_cast<std::uint64_t>(bits));
}

namespace {

void add_row(Fnv1a64& h, std::int32_t user_id, std::int32_t movie_id, float rating) {
  h.add(static_cast<std::int64_t>(user_id));
  h.add(static_cast<std::int64_t>(movie_id));
  h.add(rating);
}

}  // namespace

std::uint64_t kfold_fingerprint(const EncodedRatings& data, int folds, std::uint64_t seed) {
  Fnv1a64 h;
  h.add(static_cast<std::int64_t>(folds));
  const bool has_movie_ids = data.movie_id.size() == data.size();
  for (int fold = 0; fold < folds; ++fold) {
    h.add(static_cast<std::int64_t>(fold));
    const TrainValidSplit split = kfold_split(data, folds, fold, seed);
    h.add(static_cast<std::uint64_t>(split.valid_rows.size()));
    for (const auto r : split.valid_rows) {
      const auto row = static_cast<size_t>(r);
      // Without a movieId column (none of collab's loaders makes one) the item's index stands in.
      add_row(h, data.vocabulary.user_ids[static_cast<size_t>(data.user[row])],
              has_movie_ids ? data.movie_id[row] : data.item[row], data.rating[row]);
    }
  }
  return h.value();
}

std::uint64_t rows_fingerprint(const EvaluationRows& rows) {
  Fnv1a64 h;
  h.add(static_cast<std::uint64_t>(rows.rating.size()));
  for (size_t r = 0; r < rows.rating.size(); ++r)
    add_row(h, rows.user_id[r], rows.movie_id[r], rows.rating[r]);
  return h.value();
}

std::string fingerprint_hex(std::uint64_t fingerprint) {
  char text[17];
  std::snprintf(text, sizeof text, "%016llx", static_cast<unsigned long long>(fingerprint));
  return text;
}

}  // namespace collab
