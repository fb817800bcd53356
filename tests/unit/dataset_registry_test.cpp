#include <gtest/gtest.h>

#include "data/dataset_registry.h"
#include "test_support.h"

using namespace collab;

TEST(Registry, KnowsEveryGroupLensSetWithItsUrlAndPinnedChecksums) {
  for (const char* name : {"ml-latest-small", "ml-100k", "ml-1m", "ml-10m", "ml-20m", "ml-25m", "ml-32m", "ml-latest"}) {
    auto d = find_dataset(name);
    ASSERT_TRUE(d) << name;
    EXPECT_EQ(d->url, std::string("https://files.grouplens.org/datasets/movielens/") + name + ".zip");
  }
  EXPECT_EQ(find_dataset("ml-100k")->md5, "0e33842e24a9c977be4e0107933c0723");
  EXPECT_EQ(find_dataset("ml-25m")->md5, "6b51fb2759a8657d3bfcbfc42b592ada");
  EXPECT_TRUE(find_dataset("ml-latest-small")->md5.empty());
  EXPECT_FALSE(find_dataset("ml-5m"));
}

TEST(Registry, NamesADataSetAfterItsArchive) {
  EXPECT_EQ(dataset_name_from_url("file:///x/ml-latest-small.zip"), "ml-latest-small");
  EXPECT_EQ(dataset_name_from_url("http://h/a/ml-1m.zip?token=1"), "ml-1m");
}

TEST(Registry, ADataSetNameIsAFolderNameNeverAPath) {
  for (const char* good : {"ml-latest-small", "ml_1m.v2", "x"}) check_dataset_name(good, "--dataset");
  for (const char* bad : {"", ".", "..", "../x", "a/b", "/abs", "a b", "a\\b"}) {
    Error e = test_support::expect_error([&] { check_dataset_name(bad, "--dataset"); });
    EXPECT_EQ(e.code(), ExitCode::usage) << bad;
    EXPECT_NE(std::string(e.what()).find("--dataset"), std::string::npos) << e.what();
  }
}
