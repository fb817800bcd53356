#include <gtest/gtest.h>

#include "data/checksum.h"
#include "data/dataset_registry.h"

using namespace collab;

TEST(Checksum, Md5OfKnownBytes) {
  EXPECT_EQ(md5_hex_of_bytes(""), "d41d8cd98f00b204e9800998ecf8427e");
  EXPECT_EQ(md5_hex_of_bytes("abc"), "900150983cd24fb0d6963f7d28e17f72");
}

TEST(Checksum, ReadsBothPublishedListingStyles) {
  EXPECT_EQ(parse_md5_listing("MD5 (ml-25m.zip) = 6b51fb2759a8657d3bfcbfc42b592ada\n"),
            "6b51fb2759a8657d3bfcbfc42b592ada");
  EXPECT_EQ(parse_md5_listing("6B51FB2759A8657D3BFCBFC42B592ADA  ml-25m.zip"), "6b51fb2759a8657d3bfcbfc42b592ada");
  EXPECT_EQ(parse_md5_listing("<html>not found</html>"), "");
}

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
