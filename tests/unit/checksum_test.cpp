#include <gtest/gtest.h>

#include "data/checksum.h"

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
