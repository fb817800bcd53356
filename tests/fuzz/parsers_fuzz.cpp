// libFuzzer target for the file parsers: any bytes must give columns or a collab::Error, never a
// crash, a hang or a sanitizer report. Built with clang by scripts/fuzz; its corpus is replayed
// by the unit tests (fuzz_corpus_test.cpp) on every build.
#include <cstddef>
#include <cstdint>
#include <sstream>
#include <string>
#include <vector>

#include "data/ratings_loader.h"
#include "fuzz_target.h"
#include "support/error.h"

namespace collab::fuzz {

// The first byte picks the parser (and so the file's name), the rest is the file.
std::string input_file_name(const std::uint8_t* data, std::size_t size) {
  static const char* const names[] = {"ratings.csv", "movies.csv", "u.data", "u.item", "ratings.dat", "movies.dat"};
  return size == 0 ? "" : names[data[0] % 6];
}

void parse_input(const std::uint8_t* data, std::size_t size, std::vector<std::string>&) {
  if (size == 0) return;
  const std::string name = input_file_name(data, size);
  std::istringstream in(std::string(reinterpret_cast<const char*>(data) + 1, size - 1));
  switch (data[0] % 6) {
    case 0: read_ratings_csv(name, in, 0.5f, 5.0f); break;
    case 1: read_movies_csv(name, in); break;
    case 2: read_ratings_delimited(name, in, "\t", 1.0f, 5.0f); break;
    case 3: read_movies_delimited(name, in, "|", true); break;
    case 4: read_ratings_delimited(name, in, "::", 0.5f, 5.0f); break;
    case 5: read_movies_delimited(name, in, "::", false); break;
  }
}

}  // namespace collab::fuzz

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  std::vector<std::string> explained;
  try {
    collab::fuzz::parse_input(data, size, explained);
  } catch (const collab::Error&) {
    // explained bad input: fine
  }
  return 0;
}
