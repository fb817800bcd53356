#include <gtest/gtest.h>
#include <sys/stat.h>
#include <zlib.h>

#include <cmath>
#include <cstring>
#include <filesystem>
#include <fstream>
#include <functional>

#include "model/model_file.h"
#include "test_support.h"

using namespace collab;

namespace {
SavedModel small_model() {
  SavedModel m;
  m.shape = {{Arch::dot_bias, 2, 0.0f, 5.5f, {}}, 3, 3};
  m.options.seed = 77;
  m.source.description = "made-up";
  m.device = "cpu";
  m.history = {{0, 0.9, 0.95, 0.1, 1e-3}, {1, 0.8, 0.85, 0.1, 1e-8}};
  m.vocabulary.user_ids = {-1, 10, 20};
  m.vocabulary.item_titles = {"#na#", "Amélie (2001)", "Usual Suspects, The (1995)"};
  m.vocabulary.item_movie_ids = {-1, 5, 6};
  m.weights.tensors = {{"user_factors", {3, 2}, {0, 0, 1, 2, 3, 4}},
                       {"item_factors", {3, 2}, {0, 0, 5, 6, 7, 8}},
                       {"user_bias", {3}, {0, 0.1f, 0.2f}},
                       {"item_bias", {3}, {0, -0.1f, 0.3f}}};
  TrainValidSplit s;
  s.train = {{1, 1, 2}, {2, 1, 1}, {4, 3, 5}};
  index_training_rows(s.train, 3, m);
  return m;
}
}  // namespace

TEST(ModelFile, RoundTripsEverythingAReadingVerbNeeds) {
  const std::string path = test_support::temp_dir("model") + "/m.collab";
  save_model(path, small_model());
  SavedModel m = load_model(path);
  EXPECT_EQ(m.shape.arch, Arch::dot_bias);
  EXPECT_EQ(m.options.seed, 77u);
  EXPECT_EQ(m.vocabulary.item_titles[1], "Amélie (2001)");
  EXPECT_EQ(m.vocabulary.user_ids[2], 20);
  EXPECT_EQ(m.weights.get("item_factors").values[5], 8.0f);
  EXPECT_EQ(m.history.size(), 2u);
  EXPECT_DOUBLE_EQ(m.history[1].valid_loss, 0.85);
  // User 10 rated items 1 and 2 (sorted), user 20 item 1.
  EXPECT_EQ(m.rated_offsets, (std::vector<std::int64_t>{0, 0, 2, 3}));
  EXPECT_EQ(m.rated_items, (std::vector<std::int32_t>{1, 2, 1}));
  EXPECT_TRUE(m.user_trained(1));
  EXPECT_FALSE(m.user_trained(0));
}

TEST(ModelFile, MissingTruncatedCorruptAndForeignFilesAreExplained) {
  const std::string dir = test_support::temp_dir("model-bad");
  EXPECT_EQ(test_support::expect_error([&] { load_model(dir + "/none.collab"); }).code(), ExitCode::no_input);
  save_model(dir + "/m.collab", small_model());
  const auto size = std::filesystem::file_size(dir + "/m.collab");
  std::filesystem::copy_file(dir + "/m.collab", dir + "/t.collab");
  std::filesystem::resize_file(dir + "/t.collab", size - 20);
  Error t = test_support::expect_error([&] { load_model(dir + "/t.collab"); });
  EXPECT_EQ(t.code(), ExitCode::data);
  EXPECT_NE(std::string(t.what()).find("truncated"), std::string::npos);
  std::filesystem::copy_file(dir + "/m.collab", dir + "/c.collab");
  {
    std::fstream f(dir + "/c.collab", std::ios::in | std::ios::out | std::ios::binary);
    f.seekp(static_cast<long>(size) - 30);
    f.put('\x7f');
  }
  Error c = test_support::expect_error([&] { load_model(dir + "/c.collab"); });
  EXPECT_NE(std::string(c.what()).find("corrupt"), std::string::npos);
  test_support::write_text(dir + "/x.collab", "userId,movieId,rating\n1,2,3\n");
  Error x = test_support::expect_error([&] { load_model(dir + "/x.collab"); });
  EXPECT_EQ(x.code(), ExitCode::data);
  EXPECT_NE(std::string(x.what()).find("not a collab model"), std::string::npos);
}

TEST(ModelFile, AFailedSaveLeavesNoTemporaryFileBehind) {
  const std::string dir = test_support::temp_dir("model-keep");
  std::filesystem::create_directories(dir + "/occupied/inside");  // a folder where the file should go
  Error e = test_support::expect_error([&] { save_model(dir + "/occupied", small_model()); });
  EXPECT_EQ(e.code(), ExitCode::cannot_create);
  EXPECT_TRUE(std::filesystem::is_directory(dir + "/occupied/inside"));
  for (const auto& f : std::filesystem::directory_iterator(dir))
    EXPECT_EQ(f.path().string().find(".tmp."), std::string::npos) << f.path();
}

// ---- Crafted files: a right checksum over contents that disagree with themselves ----

namespace {

// The model file's bytes with `change` applied to the model before saving: save_model writes
// whatever it is given, so this crafts files whose checksum is right.
std::string crafted(const std::function<void(SavedModel&)>& change) {
  SavedModel m = small_model();
  change(m);
  const std::string path = test_support::temp_dir("model-crafted") + "/m.collab";
  save_model(path, m);
  std::ifstream in(path, std::ios::binary);
  return std::string((std::istreambuf_iterator<char>(in)), std::istreambuf_iterator<char>());
}

// Replaces `from` by `to` in the JSON header, then mends the header length and the checksum.
std::string with_header_edit(std::string bytes, const std::string& from, const std::string& to) {
  std::uint64_t len;
  std::memcpy(&len, bytes.data() + 8, 8);
  std::string header = bytes.substr(16, len);
  const auto at = header.find(from);
  EXPECT_NE(at, std::string::npos) << from;
  header.replace(at, from.size(), to);
  const std::string rest = bytes.substr(16 + len, bytes.size() - 16 - len - 8);
  len = header.size();
  std::string out = bytes.substr(0, 8);
  out.append(reinterpret_cast<const char*>(&len), 8);
  out += header + rest;
  const auto crc = static_cast<std::uint32_t>(crc32_z(0L, reinterpret_cast<const Bytef*>(out.data()), out.size()));
  out.append(reinterpret_cast<const char*>(&crc), 4);
  return out + "END!";
}

void expect_inconsistent(const std::string& bytes, const std::string& message_part) {
  Error e = test_support::expect_error([&] { parse_model("crafted.collab", bytes); });
  EXPECT_EQ(e.code(), ExitCode::data) << e.what();
  EXPECT_NE(std::string(e.what()).find("crafted.collab"), std::string::npos) << e.what();
  EXPECT_NE(std::string(e.what()).find(message_part), std::string::npos) << e.what();
}

}  // namespace

TEST(ModelFileInvariants, RatedItemOffsetsPastTheEndOrBackwardsAreRefused) {
  expect_inconsistent(crafted([](SavedModel& m) { m.rated_offsets = {0, 0, 2, 30}; }),
                      "rated-items index");
  expect_inconsistent(crafted([](SavedModel& m) { m.rated_offsets = {0, 2, 1, 3}; }), "goes backwards");
  expect_inconsistent(crafted([](SavedModel& m) { m.rated_offsets = {-5, 0, 2, 3}; }), "does not start at 0");
  expect_inconsistent(crafted([](SavedModel& m) { m.rated_items[0] = -1; }), "outside the item rows");
}

TEST(ModelFileInvariants, TablesThatDisagreeWithTheVocabulariesAreRefused) {
  // A factor table with fewer rows than users.
  expect_inconsistent(crafted([](SavedModel& m) {
                        m.weights.tensors[0] = {"user_factors", {2, 2}, {0, 0, 1, 2}};
                      }),
                      "table 'user_factors' has shape [2, 2], expected [3, 2]");
  // A bias table longer than the item list.
  expect_inconsistent(crafted([](SavedModel& m) {
                        m.weights.tensors[3] = {"item_bias", {5}, {0, 1, 2, 3, 4}};
                      }),
                      "table 'item_bias'");
  // A missing table, and one twice.
  expect_inconsistent(crafted([](SavedModel& m) { m.weights.tensors.pop_back(); }), "no table 'item_bias'");
  expect_inconsistent(crafted([](SavedModel& m) { m.weights.tensors.push_back(m.weights.tensors[0]); }),
                      "appears twice");
  // Item factors of another width than the user factors.
  expect_inconsistent(crafted([](SavedModel& m) {
                        m.weights.tensors[1] = {"item_factors", {3, 1}, {0, 5, 7}};
                      }),
                      "item_factors");
}

TEST(ModelFileInvariants, VocabulariesThatDisagreeWithTheShapeAreRefused) {
  expect_inconsistent(crafted([](SavedModel& m) { m.vocabulary.user_ids = {-1, 20, 10}; }), "increasing order");
  expect_inconsistent(crafted([](SavedModel& m) { m.shape.n_items = 2; }), "titles");
  expect_inconsistent(crafted([](SavedModel& m) { m.shape.y_high = -1; }), "y-range");
}

TEST(ModelFileInvariants, NegativeOrOverflowingDimensionsAreACleanDataError) {
  const std::string good = crafted([](SavedModel&) {});
  expect_inconsistent(with_header_edit(good, "\"shape\":[3,2]", "\"shape\":[-3,2]"), "negative dimension");
  expect_inconsistent(with_header_edit(good, "\"shape\":[3,2]", "\"shape\":[4611686018427387904,4]"),
                      "impossibly large");
  // A count whose byte size wraps around 2^64 is too long for the file, not a small number.
  expect_inconsistent(with_header_edit(good, "\"rated_items\":3", "\"rated_items\":4611686018427387904"),
                      "truncated");
  // An unknown architecture in a file is damage (65), not a usage error (64).
  expect_inconsistent(with_header_edit(good, "\"arch\":\"dot-bias\"", "\"arch\":\"dot-bogus\""), "corrupt model header");
}

TEST(ModelFileInvariants, AModelTrainedWithoutValidationRowsLoads) {
  SavedModel m = small_model();
  m.history[1].valid_loss = std::nan("");
  const std::string path = test_support::temp_dir("model-novalid") + "/m.collab";
  save_model(path, m);
  EXPECT_TRUE(std::isnan(load_model(path).history[1].valid_loss));
}

TEST(ModelFileInvariants, SpecialFilesAreRefusedBeforeTheyAreOpened) {
  const std::string dir = test_support::temp_dir("model-special");
  Error d = test_support::expect_error([&] { load_model(dir); });
  EXPECT_EQ(d.code(), ExitCode::no_input);
  EXPECT_NE(std::string(d.what()).find("is a directory"), std::string::npos) << d.what();
  Error z = test_support::expect_error([&] { load_model("/dev/zero"); });
  EXPECT_EQ(z.code(), ExitCode::no_input);
  EXPECT_NE(std::string(z.what()).find("character device"), std::string::npos) << z.what();
  ASSERT_EQ(::mkfifo((dir + "/fifo").c_str(), 0600), 0);
  Error f = test_support::expect_error([&] { load_model(dir + "/fifo"); });  // would block if opened
  EXPECT_NE(std::string(f.what()).find("FIFO"), std::string::npos) << f.what();
}

TEST(ModelFile, SavingOverADeviceOrFifoIsRefusedAndLeavesItAlone) {
  const std::string dir = test_support::temp_dir("model-special-out");
  ASSERT_EQ(::mkfifo((dir + "/fifo").c_str(), 0600), 0);
  Error e = test_support::expect_error([&] { save_model(dir + "/fifo", small_model()); });
  EXPECT_EQ(e.code(), ExitCode::cannot_create);
  EXPECT_TRUE(std::filesystem::is_fifo(dir + "/fifo"));
  Error n = test_support::expect_error([&] { save_model("/dev/null", small_model()); });
  EXPECT_EQ(n.code(), ExitCode::cannot_create);
  EXPECT_TRUE(std::filesystem::is_character_file("/dev/null"));
}
