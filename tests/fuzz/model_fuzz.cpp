// libFuzzer target for the model loader: any bytes must give a model that every reading verb can
// use without leaving its tables, or a collab::Error, never a crash or a sanitizer report.
// Built with clang by scripts/fuzz; its corpus (tests/fuzz/model_corpus) is replayed by the
// unit tests on every build.
//
// The input is a model file without its last eight bytes: the target appends the CRC-32 and the
// end mark, so that mutations reach the header and the tables instead of dying at the checksum.
#include <zlib.h>

#include <cstddef>
#include <cstdint>
#include <cstring>
#include <string>
#include <vector>

#include "fuzz_target.h"
#include "support/error.h"
#include "model/interpret.h"
#include "model/model_file.h"
#include "model/title_match.h"

namespace {

void read_like_every_verb(const collab::SavedModel& m, std::vector<std::string>& explained) {
  using namespace collab;
  const auto users = static_cast<std::int32_t>(m.vocabulary.user_rows());
  const auto items = static_cast<std::int32_t>(m.vocabulary.item_rows());
  auto guarded = [&explained](auto&& f) {
    try {
      f();
    } catch (const Error& e) {
      explained.emplace_back(e.what());  // a model without biases, too few items for a PCA
    }
  };
  guarded([&] { extreme_biases(m, 5, false, true); });
  guarded([&] { extreme_biases(m, 5, true, false); });
  guarded([&] { item_factor_pca(m, 2, 100); });
  for (std::int32_t i = 1; i < items && i < 4; ++i) guarded([&] { similar_items(m, i, 5, i % 2 == 0); });
  for (std::int32_t u = 1; u < users && u < 4; ++u) {
    guarded([&] { recommend_items(m, u, 5, u % 2 == 0); });
    guarded([&] { predict_rating(m, u, items - 1); });
    guarded([&] { find_user(m.vocabulary, m.vocabulary.user_ids[static_cast<size_t>(u)]); });
  }
  if (items > 1) guarded([&] { find_item(m.vocabulary, m.vocabulary.item_titles[1]); });
}

}  // namespace

namespace collab::fuzz {

std::string input_file_name(const std::uint8_t*, std::size_t) { return "fuzzed.collab"; }

void parse_input(const std::uint8_t* data, std::size_t size, std::vector<std::string>& explained) {
  std::string bytes(reinterpret_cast<const char*>(data), size);
  const auto crc = static_cast<std::uint32_t>(crc32_z(0L, data, size));
  bytes.append(reinterpret_cast<const char*>(&crc), sizeof crc);
  bytes.append("END!", 4);
  read_like_every_verb(parse_model(input_file_name(data, size), bytes), explained);
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
