// The fingerprints `collab compare` pairs runs by: equal for the same data, folds and seed,
// different when any of them changes; the hash itself is support/hash.h.
#include "model/run_fingerprint.h"

#include <gtest/gtest.h>

#include "test_support.h"

using namespace collab;

TEST(RunFingerprint, KFoldIsTheSameForTheSameDataFoldsAndSeedOnly) {
  const EncodedRatings d = test_support::synthetic_ratings(30, 40, 0.3, 5);
  const std::uint64_t f = kfold_fingerprint(d, 5, 1);
  EXPECT_EQ(kfold_fingerprint(d, 5, 1), f);
  EXPECT_NE(kfold_fingerprint(d, 5, 2), f);  // another seed
  EXPECT_NE(kfold_fingerprint(d, 4, 1), f);  // other folds
  EncodedRatings changed = d;
  changed.rating[3] += 0.5f;  // other data
  EXPECT_NE(kfold_fingerprint(changed, 5, 1), f);
}

TEST(RunFingerprint, EvaluationRowsDependOnEveryField) {
  EvaluationRows rows;
  rows.user_id = {1, 1, 2};
  rows.movie_id = {10, 11, 10};
  rows.rating = {4, 3.5f, 5};
  rows.user = rows.item = {1, 2, 3};
  const std::uint64_t f = rows_fingerprint(rows);
  EvaluationRows other = rows;
  other.movie_id[2] = 12;
  EXPECT_NE(rows_fingerprint(other), f);
  other = rows;
  other.rating[0] = 4.5f;
  EXPECT_NE(rows_fingerprint(other), f);
  other = rows;
  other.user = {0, 0, 0};  // the model's encoding is not the rows' identity
  EXPECT_EQ(rows_fingerprint(other), f);
}
