#include <gtest/gtest.h>
#include <sys/stat.h>
#include <zip.h>

#include <filesystem>
#include <fstream>

#include "data/unpack.h"
#include "test_support.h"

using namespace collab;
namespace fs = std::filesystem;

namespace {

struct Entry {
  std::string name;
  std::string data;
  bool symlink = false;
  bool stored = false;  // no compression, so that a flipped byte reaches the CRC check
};

void make_zip(const std::string& path, const std::vector<Entry>& entries) {
  int err = 0;
  zip_t* z = zip_open(path.c_str(), ZIP_CREATE | ZIP_TRUNCATE, &err);
  ASSERT_NE(z, nullptr);
  for (const auto& e : entries) {
    zip_source_t* src = zip_source_buffer(z, e.data.data(), e.data.size(), 0);
    zip_int64_t i = zip_file_add(z, e.name.c_str(), src, ZIP_FL_ENC_UTF_8);
    ASSERT_GE(i, 0);
    if (e.symlink)
      zip_file_set_external_attributes(z, static_cast<zip_uint64_t>(i), 0, ZIP_OPSYS_UNIX, (S_IFLNK | 0777u) << 16);
    if (e.stored) zip_set_file_compression(z, static_cast<zip_uint64_t>(i), ZIP_CM_STORE, 0);
  }
  ASSERT_EQ(zip_close(z), 0);
}

// Every bad archive: a data error, and neither the target nor a temporary folder left behind.
void expect_refused(const std::string& dir, const std::string& zip, const std::string& message_part) {
  Error e = test_support::expect_error([&] { unpack_archive(zip, dir + "/out"); });
  EXPECT_EQ(e.code(), ExitCode::data) << e.what();
  EXPECT_NE(std::string(e.what()).find(message_part), std::string::npos) << e.what();
  EXPECT_FALSE(fs::exists(dir + "/out"));
  for (const auto& f : fs::directory_iterator(dir))
    EXPECT_EQ(f.path().extension(), ".zip") << "left behind: " << f.path();
}

}  // namespace

TEST(Unpack, MovesTheSingleTopFolderIntoPlace) {
  const std::string dir = test_support::temp_dir("unpack-ok");
  make_zip(dir + "/a.zip", {{"ml-x/", ""}, {"ml-x/ratings.csv", "userId\n"}, {"ml-x/sub/movies.csv", "m\n"}});
  unpack_archive(dir + "/a.zip", dir + "/out");
  EXPECT_TRUE(fs::exists(dir + "/out/ratings.csv"));
  EXPECT_TRUE(fs::exists(dir + "/out/sub/movies.csv"));
  // Unpacking again replaces the folder.
  make_zip(dir + "/b.zip", {{"ratings.csv", "new\n"}});
  unpack_archive(dir + "/b.zip", dir + "/out");
  EXPECT_TRUE(fs::exists(dir + "/out/ratings.csv"));
  EXPECT_FALSE(fs::exists(dir + "/out/sub"));
}

TEST(Unpack, RefusesZipSlipEntries) {
  const std::string dir = test_support::temp_dir("unpack-slip");
  make_zip(dir + "/dots.zip", {{"ok.txt", "x"}, {"a/../../evil.txt", "x"}});
  expect_refused(dir, dir + "/dots.zip", "'..' leaves the target folder");
  make_zip(dir + "/abs.zip", {{"/etc/evil", "x"}});
  expect_refused(dir, dir + "/abs.zip", "absolute path");
}

TEST(Unpack, RefusesSymbolicLinks) {
  const std::string dir = test_support::temp_dir("unpack-link");
  make_zip(dir + "/link.zip", {{"passwd", "/etc/passwd", true}});
  expect_refused(dir, dir + "/link.zip", "symbolic link");
}

TEST(Unpack, RefusesZipBombsByRatioAndTotal) {
  const std::string dir = test_support::temp_dir("unpack-bomb");
  make_zip(dir + "/bomb.zip", {{"zeros", std::string(20 << 20, '\0')}});
  expect_refused(dir, dir + "/bomb.zip", "zip bomb");
  UnpackLimits small;
  small.max_total_bytes = 1000;
  make_zip(dir + "/big.zip", {{"a", std::string(2000, 'a')}});
  Error e = test_support::expect_error([&] { unpack_archive(dir + "/big.zip", dir + "/out", {}, small); });
  EXPECT_EQ(e.code(), ExitCode::data);
}

TEST(Unpack, RefusesTruncatedAndCorruptArchives) {
  const std::string dir = test_support::temp_dir("unpack-bad");
  std::string text;
  for (int i = 0; i < 2000; ++i) text += "1," + std::to_string(i) + ",4.0,0\n";
  make_zip(dir + "/t.zip", {{"ratings.csv", text}});
  fs::resize_file(dir + "/t.zip", fs::file_size(dir + "/t.zip") / 2);
  expect_refused(dir, dir + "/t.zip", "corrupt or truncated");

  make_zip(dir + "/c.zip", {{"ratings.csv", text, false, true}});
  std::fstream f(dir + "/c.zip", std::ios::in | std::ios::out | std::ios::binary);
  f.seekp(200);
  f.put('#');
  f.close();
  expect_refused(dir, dir + "/c.zip", "corrupt");

  test_support::write_text(dir + "/n.zip", "this is not a zip archive at all");
  expect_refused(dir, dir + "/n.zip", "corrupt or truncated");
}

TEST(Unpack, AnArchiveWithoutTheFilesItsFormatNeedsLeavesTheEarlierCopyInPlace) {
  const std::string dir = test_support::temp_dir("unpack-required");
  make_zip(dir + "/good.zip", {{"ml-x/ratings.csv", "good\n"}, {"ml-x/movies.csv", "good\n"}});
  unpack_archive(dir + "/good.zip", dir + "/out", {"ratings.csv", "movies.csv"});
  make_zip(dir + "/bad.zip", {{"ml-x/movies.csv", "new\n"}, {"ml-x/README.txt", "no ratings\n"}});
  Error e = test_support::expect_error([&] { unpack_archive(dir + "/bad.zip", dir + "/out", {"ratings.csv", "movies.csv"}); });
  EXPECT_EQ(e.code(), ExitCode::data);
  EXPECT_NE(std::string(e.what()).find("has no ratings.csv"), std::string::npos) << e.what();
  std::ifstream kept(dir + "/out/movies.csv");
  std::string line;
  std::getline(kept, line);
  EXPECT_EQ(line, "good");
  for (const auto& f : fs::directory_iterator(dir))
    EXPECT_TRUE(f.path().extension() == ".zip" || f.path().filename() == "out") << "left behind: " << f.path();
}
