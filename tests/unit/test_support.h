// Small made-up data sets and helpers the unit tests share.
#pragma once

#include <functional>
#include <string>

#include "data/encoding.h"
#include "train/engine.h"
#include "support/error.h"
#include "train/split.h"

namespace collab::test_support {

// A fresh empty folder under the system's temporary folder.
std::string temp_dir(const std::string& name);
void write_text(const std::string& path, const std::string& text);

// Ratings drawn from a known low-rank model plus noise: users x items, `density` of pairs rated.
EncodedRatings synthetic_ratings(int users, int items, double density, unsigned seed, float noise = 0.3f);

// An embedding-model setup for a split of synthetic_ratings(users, items, ...): tables of users+1
// and items+1 rows (#na# included), `factors` factors, the seed's initial weights.
EngineSetup synthetic_setup(const TrainValidSplit& split, Arch arch, int users, int items, int factors,
                            std::uint64_t seed);

// Runs f and returns the collab::Error it throws (fails the test if it throws none).
Error expect_error(const std::function<void()>& f);

}  // namespace collab::test_support
