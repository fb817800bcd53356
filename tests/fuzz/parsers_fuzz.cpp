// libFuzzer target for the file parsers: any bytes must give columns or a collab::Error, never a
// crash, a hang or a sanitizer report. Built with clang by scripts/fuzz; its corpus is replayed
// by the unit tests (fuzz_corpus_test.cpp) on every build.
#include <cstddef>
#include <cstdint>
#include <sstream>
#include <string>

#include "support/error.h"
#include "data/ratings_loader.h"

namespace {

template <class F>
void expect_value_or_error(F&& parse) {
  try {
    parse();
  } catch (const collab::Error&) {
    // explained bad input: fine
  }
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  // The first byte picks the parser, the rest is the file.
  if (size == 0) return 0;
  const std::string text(reinterpret_cast<const char*>(data) + 1, size - 1);
  std::istringstream in(text);
  switch (data[0] % 6) {
    case 0: expect_value_or_error([&] { collab::read_ratings_csv("ratings.csv", in, 0.5f, 5.0f); }); break;
    case 1: expect_value_or_error([&] { collab::read_movies_csv("movies.csv", in); }); break;
    case 2: expect_value_or_error([&] { collab::read_ratings_delimited("u.data", in, "\t", 1.0f, 5.0f); }); break;
    case 3: expect_value_or_error([&] { collab::read_movies_delimited("u.item", in, "|", true); }); break;
    case 4: expect_value_or_error([&] { collab::read_ratings_delimited("ratings.dat", in, "::", 0.5f, 5.0f); }); break;
    case 5: expect_value_or_error([&] { collab::read_movies_delimited("movies.dat", in, "::", false); }); break;
  }
  return 0;
}
