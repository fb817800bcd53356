// One file holds a trained model and all a reading verb needs: architecture, hyperparameters,
// weights, the user and item vocabularies, which user rated what in training, and the epoch table.
//
// Layout: "COLLABM1", a little-endian u64 header length, a JSON header, the arrays it lists one
// after another, then a CRC-32 of all that and "END!". No LibTorch is needed to read it.
#pragma once

#include <cstdint>
#include <string>
#include <vector>

#include "train/trained_model.h"

namespace collab {

// The documented default path of --model for `train` and the reading verbs.
inline const char* default_model_path() { return "model.collab"; }

// Written to a temporary name and renamed: an earlier model survives any failure.
void save_model(const std::string& path, const SavedModel& model);
// The file's bytes, for a caller that stages the model beside another output (StagedFile).
std::string model_file_bytes(const SavedModel& model);
// Missing file, or not a regular file: ExitCode::no_input; truncated, corrupt, inconsistent or
// not a model: ExitCode::data naming the file and what is wrong.
SavedModel load_model(const std::string& path);
// The same from the file's bytes (`path` names it in messages): what the fuzzer feeds.
SavedModel parse_model(const std::string& path, const std::string& bytes);

// Every invariant the reading code relies on, checked once at load time so that no reading verb
// indexes past a table: table shapes against the vocabularies and the architecture, sorted user
// ids, rated-item offsets monotone and in range, finite y-range. Throws ExitCode::data naming
// `path` and the first violation. (model_check.cpp)
void check_model_invariants(const std::string& path, const SavedModel& model);

}  // namespace collab
