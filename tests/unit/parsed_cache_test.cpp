// The parsed-data cache serves only what the files hold now and what the parser could produce:
// a cache whose key and checksum are right but whose values the parser would refuse is ignored.
#include "data/parsed_cache.h"

#include <gtest/gtest.h>

#include <cmath>
#include <filesystem>
#include <fstream>

#include "test_support.h"

using namespace collab;

namespace {

DataSource small_files(const std::string& dir) {
  std::ofstream(dir + "/ratings.csv") << "userId,movieId,rating,timestamp\n1,10,4.0,5\n1,20,3.5,6\n2,10,5.0,7\n";
  std::ofstream(dir + "/movies.csv") << "movieId,title,genres\n10,Alpha (1990),x\n20,Beta (1991),x\n";
  return csv_files_data_source(dir + "/ratings.csv", dir + "/movies.csv", ItemKey::title);
}

}  // namespace

TEST(ParsedCache, ARoundTripGivesBackWhatTheParserGave) {
  const DataSource s = small_files(test_support::temp_dir("cache-round-trip"));
  const EncodedRatings parsed = load_data_source(s);  // parses and writes the cache
  const auto cached = read_parsed_cache(s, parsed_cache_key(s));
  ASSERT_TRUE(cached.has_value());
  EXPECT_EQ(cached->rating, parsed.rating);
  EXPECT_EQ(cached->user, parsed.user);
  EXPECT_EQ(cached->vocabulary.item_titles, parsed.vocabulary.item_titles);
}

TEST(ParsedCache, AValueTheParserRefusesIsNeverServedEvenUnderTheRightKeyAndChecksum) {
  const DataSource s = small_files(test_support::temp_dir("cache-refused-value"));
  EncodedRatings forged = load_data_source(s);
  forged.rating[1] = -4.0f;  // ml-latest-small's range is 0.5..5
  ASSERT_TRUE(write_parsed_cache(s, parsed_cache_key(s), forged));
  EXPECT_FALSE(read_parsed_cache(s, parsed_cache_key(s)).has_value());
  EXPECT_EQ(load_data_source(s).rating[1], 3.5f);  // parsed again, and the cache rewritten
  EXPECT_TRUE(read_parsed_cache(s, parsed_cache_key(s)).has_value());
}

TEST(ParsedCache, TheKeyChangesWithAnyByteWhateverTheSizeAndTime) {
  const std::string dir = test_support::temp_dir("cache-key");
  const DataSource s = small_files(dir);
  const std::string before = parsed_cache_key(s);
  const auto time = std::filesystem::last_write_time(s.ratings_path);
  std::fstream f(s.ratings_path, std::ios::in | std::ios::out | std::ios::binary);
  f.seekp(40);  // a byte of the first rating's line: the same size
  f.put('4');
  f.close();
  std::filesystem::last_write_time(s.ratings_path, time);
  EXPECT_NE(parsed_cache_key(s), before);
}

TEST(ParsedCache, ValidityFollowsTheParsersAndTheEncodersRules) {
  const DataSource s = small_files(test_support::temp_dir("cache-validity"));
  const EncodedRatings good = load_data_source(s);
  ASSERT_TRUE(parsed_data_is_valid(s, good));
  auto broken = [&](auto change) {
    EncodedRatings d = good;
    change(d);
    return !parsed_data_is_valid(s, d);
  };
  EXPECT_TRUE(broken([](EncodedRatings& d) { d.rating[0] = std::nanf(""); }));
  EXPECT_TRUE(broken([](EncodedRatings& d) { d.rating[0] = 5.5f; }));
  EXPECT_TRUE(broken([](EncodedRatings& d) { d.item[0] = 3; }));                    // past the items
  EXPECT_TRUE(broken([](EncodedRatings& d) { d.movie_id[0] = -1; }));
  EXPECT_TRUE(broken([](EncodedRatings& d) { d.vocabulary.user_ids[1] = 9; }));     // users out of order
  EXPECT_TRUE(broken([](EncodedRatings& d) { d.vocabulary.item_titles[2] = "\xff"; }));  // not UTF-8
  EXPECT_TRUE(broken([](EncodedRatings& d) { d.item = {1, 1, 1}; }));               // an item with no rating
  EXPECT_TRUE(broken([](EncodedRatings& d) { d.timestamp.pop_back(); }));
}
