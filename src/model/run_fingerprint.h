// Fingerprints that tell whether two runs were scored on the same rows, so that `collab compare`
// pairs only what is paired: cv's folds (the data and the fold each rating validates in) and
// eval's evaluation rows. XXH3 (support/hash.h) over the rows' own ids and ratings, in order: the
// same data, seed and folds give the same fingerprint; anything else almost surely another.
#pragma once

#include <cstdint>
#include <string>

#include "data/encoding.h"
#include "model/evaluation.h"

namespace collab {

// The folds of `collab cv --folds folds --seed seed` (kfold_split): for each fold in turn, its
// validation rows' (userId, movieId, rating). It builds each fold's split once more (kfold_split
// is the one definition of a fold), a cost small beside training the fold.
std::uint64_t kfold_fingerprint(const EncodedRatings& data, int folds, std::uint64_t seed);

// An evaluation's rows (userId, movieId, rating), in order.
std::uint64_t rows_fingerprint(const EvaluationRows& rows);

}  // namespace collab
