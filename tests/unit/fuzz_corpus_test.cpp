// Replays a fuzzer's saved corpus (tests/fuzz/corpus for the parsers, tests/fuzz/model_corpus for
// the model loader: one executable each) through its target on every build, so a
// crash the fuzzer once found and we fixed stays fixed.
#include <gtest/gtest.h>

#include <filesystem>
#include <fstream>
#include <iterator>

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size);

TEST(FuzzCorpus, EveryInputParsesOrIsExplained) {
  const std::filesystem::path corpus = COLLAB_FUZZ_CORPUS;
  size_t inputs = 0;
  for (const auto& entry : std::filesystem::directory_iterator(corpus)) {
    std::ifstream in(entry.path(), std::ios::binary);
    const std::string bytes((std::istreambuf_iterator<char>(in)), std::istreambuf_iterator<char>());
    LLVMFuzzerTestOneInput(reinterpret_cast<const std::uint8_t*>(bytes.data()), bytes.size());
    ++inputs;
  }
  EXPECT_GT(inputs, 10u) << "the corpus in " << corpus << " is missing";
}
