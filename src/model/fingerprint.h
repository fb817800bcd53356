// Fingerprints that tell whether two runs were scored on the same rows, so that `collab compare`
// pairs only what is paired: cv's folds (the data and the fold each rating validates in) and
// eval's evaluation rows. 64-bit FNV-1a over the rows' own ids and ratings, in order: the same
// data, seed and folds give the same fingerprint on every platform; anything else almost surely
// another (a collision among a handful of runs has odds near 2^-64).
#pragma once

#include <cstdint>
#include <string>

#include "data/encoding.h"
#include "model/evaluation.h"

namespace collab {

// FNV-1a, 64 bits (Fowler, Noll, Vo): for each byte, xor it in, then multiply by the prime.
class Fnv1a64 {
 public:
  void add_bytes(const void* data, size_t size);
  // Fixed-width values, little-endian whatever the host, so a fingerprint travels.
  void add(std::uint64_t value);
  void add(std::int64_t value) { add(static_cast<std::uint64_t>(value)); }
  void add(float value);  // its bit pattern
  std::uint64_t value() const { return hash_; }

 private:
  std::uint64_t hash_ = 0xcbf29ce484222325ULL;  // the 64-bit offset basis
};

// The folds of `collab cv --folds folds --seed seed` (kfold_split): for each fold in turn, its
// number and its validation rows' (userId, movieId, rating). It builds each fold's split once
// more (kfold_split is the one definition of a fold), a cost small beside training the fold.
std::uint64_t kfold_fingerprint(const EncodedRatings& data, int folds, std::uint64_t seed);

// An evaluation's rows (userId, movieId, rating), in order.
std::uint64_t rows_fingerprint(const EvaluationRows& rows);

// 16 lower-case hex digits, as the verbs print it (JSON numbers lose bits above 2^53).
std::string fingerprint_hex(std::uint64_t fingerprint);

}  // namespace collab
