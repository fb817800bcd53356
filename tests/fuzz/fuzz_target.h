// A fuzz target's work on one input, apart from libFuzzer's entry point: LLVMFuzzerTestOneInput
// runs it and accepts a collab::Error; the corpus test (tests/unit/fuzz_corpus_test.cpp) runs it
// and checks what it throws. Each target (parsers_fuzz.cpp, model_fuzz.cpp) defines both.
#pragma once

#include <cstddef>
#include <cstdint>
#include <string>
#include <vector>

namespace collab::fuzz {

// The file name the target parses the input as: what an error about the input must name.
std::string input_file_name(const std::uint8_t* data, std::size_t size);

// Parses the input as the target does. Bad input throws collab::Error from the parse; errors the
// target explains after a parse (a reading verb refusing a model without biases) are appended to
// `explained` instead of escaping.
void parse_input(const std::uint8_t* data, std::size_t size, std::vector<std::string>& explained);

}  // namespace collab::fuzz
