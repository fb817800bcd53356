// Replays a fuzzer's saved corpus (tests/fuzz/corpus for the parsers, tests/fuzz/model_corpus for
// the model loader: one executable each) through its target on every build, so that a crash the
// fuzzer once found and we fixed stays fixed, and so that every input the fuzzer kept either
// parses or is refused the way `main` can show a user: a collab::Error whose message is one
// non-empty line naming the file.
#include <gtest/gtest.h>

#include <algorithm>
#include <exception>
#include <filesystem>
#include <fstream>
#include <iterator>
#include <string>
#include <typeinfo>
#include <vector>

#include "fuzz_target.h"
#include "support/error.h"

namespace {

struct Input {
  std::string name;  // the corpus file
  std::string bytes;
};

std::vector<Input> corpus() {
  std::vector<Input> inputs;
  for (const auto& entry : std::filesystem::directory_iterator(COLLAB_FUZZ_CORPUS)) {
    std::ifstream in(entry.path(), std::ios::binary);
    inputs.push_back({entry.path().filename().string(),
                      std::string((std::istreambuf_iterator<char>(in)), std::istreambuf_iterator<char>())});
  }
  std::sort(inputs.begin(), inputs.end(), [](const Input& a, const Input& b) { return a.name < b.name; });
  return inputs;
}

const std::uint8_t* bytes_of(const Input& input) { return reinterpret_cast<const std::uint8_t*>(input.bytes.data()); }

// Why `message` would not do as the one line `main` prints after "collab: error: ", or "".
std::string message_problem(const std::string& message, const std::string& file) {
  if (message.empty()) return "an empty message";
  if (message.find('\n') != std::string::npos) return "a message of several lines";
  if (!file.empty() && message.find(file) == std::string::npos) return "a message that does not name " + file;
  return "";
}

}  // namespace

TEST(FuzzCorpus, TheCorpusIsThere) {
  EXPECT_GT(corpus().size(), 10u) << "the corpus in " << COLLAB_FUZZ_CORPUS << " is missing";
}

TEST(FuzzCorpus, EveryInputParsesOrThrowsOneLineErrorNamingTheFile) {
  size_t parsed = 0, refused = 0;
  for (const Input& input : corpus()) {
    const std::string file = collab::fuzz::input_file_name(bytes_of(input), input.bytes.size());
    std::vector<std::string> explained;
    try {
      collab::fuzz::parse_input(bytes_of(input), input.bytes.size(), explained);
      ++parsed;
    } catch (const collab::Error& e) {
      ++refused;
      const std::string problem = message_problem(e.what(), file);
      EXPECT_EQ(problem, "") << input.name << " (as " << file << "): '" << e.what() << "'";
    } catch (const std::exception& e) {
      ADD_FAILURE() << input.name << " (as " << file << ") threw a " << typeid(e).name()
                    << ", not a collab::Error: " << e.what();
    } catch (...) {
      ADD_FAILURE() << input.name << " (as " << file << ") threw something that is not a std::exception";
    }
    // What the reading verbs refuse after a parse is theirs to explain: one non-empty line.
    for (const auto& message : explained)
      EXPECT_EQ(message_problem(message, ""), "") << input.name << ", a reading verb: '" << message << "'";
  }
  // The corpus exercises both outcomes; a target that refused (or accepted) everything would
  // make the checks above say little.
  EXPECT_GT(parsed, 0u);
  EXPECT_GT(refused, 0u);
}
