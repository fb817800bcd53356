#include <gtest/gtest.h>

#include <filesystem>
#include <fstream>

#include "collab/model_file.h"
#include "test_support.h"

using namespace collab;

namespace {
SavedModel small_model() {
  SavedModel m;
  m.shape = {Arch::dot_bias, 3, 3, 2, 0.0f, 5.5f, {}};
  m.options.seed = 77;
  m.dataset = "made-up";
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
