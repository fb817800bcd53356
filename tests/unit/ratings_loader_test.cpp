#include <gtest/gtest.h>

#include <sstream>

#include "data/ratings_loader.h"
#include "test_support.h"

using namespace collab;

namespace {

RatingColumns ratings(const std::string& text) {
  std::istringstream in(text);
  return read_ratings_csv("ratings.csv", in, 0.5f, 5.0f);
}
MovieColumns movies(const std::string& text) {
  std::istringstream in(text);
  return read_movies_csv("movies.csv", in);
}
// The error message a bad ratings file gives; every bad case must be a data error (exit 65).
std::string ratings_error(const std::string& text) {
  Error e = test_support::expect_error([&] { ratings(text); });
  EXPECT_EQ(e.code(), ExitCode::data) << e.what();
  return e.what();
}
std::string movies_error(const std::string& text) {
  Error e = test_support::expect_error([&] { movies(text); });
  EXPECT_EQ(e.code(), ExitCode::data) << e.what();
  return e.what();
}

const char* kHeader = "userId,movieId,rating,timestamp\n";

}  // namespace

TEST(RatingsCsv, ReadsColumns) {
  auto r = ratings(std::string(kHeader) + "1,31,2.5,1260759144\n1,1029,3.0,1260759179\n7,1,5,1\n");
  ASSERT_EQ(r.size(), 3u);
  EXPECT_EQ(r.user_id, (std::vector<std::int32_t>{1, 1, 7}));
  EXPECT_EQ(r.movie_id, (std::vector<std::int32_t>{31, 1029, 1}));
  EXPECT_EQ(r.rating, (std::vector<float>{2.5f, 3.0f, 5.0f}));
}

TEST(RatingsCsv, AcceptsBomCrlfAndAMissingFinalNewline) {
  auto r = ratings("\xEF\xBB\xBFuserId,movieId,rating,timestamp\r\n1,2,3.5,9\r\n4,5,1,9");
  ASSERT_EQ(r.size(), 2u);
  EXPECT_EQ(r.user_id[1], 4);
  EXPECT_EQ(r.rating[0], 3.5f);
}

TEST(RatingsCsv, ExplainsANonNumericRatingWithLineAndField) {
  EXPECT_EQ(ratings_error(std::string(kHeader) + "1,2,3,4\n1,2,x,4\n"),
            "ratings.csv line 3: field 'rating': 'x' is not a number");
}

TEST(RatingsCsv, RejectsNanNegativeAndOutOfRangeRatings) {
  EXPECT_NE(ratings_error(std::string(kHeader) + "1,2,nan,4\n").find("line 2: field 'rating': 'nan' is not a number (NaN)"),
            std::string::npos);
  EXPECT_NE(ratings_error(std::string(kHeader) + "1,2,-1,4\n").find("outside this data set's range 0.5..5"),
            std::string::npos);
  EXPECT_NE(ratings_error(std::string(kHeader) + "1,2,5.5,4\n").find("line 2: field 'rating': '5.5' is outside"),
            std::string::npos);
}

TEST(RatingsCsv, RejectsIdsThatAreNegativeOrDoNotFit) {
  EXPECT_EQ(ratings_error(std::string(kHeader) + "-3,2,3,4\n"), "ratings.csv line 2: field 'userId': '-3' is negative");
  EXPECT_EQ(ratings_error(std::string(kHeader) + "1,99999999999,3,4\n"),
            "ratings.csv line 2: field 'movieId': '99999999999' does not fit in a 32-bit id");
  EXPECT_EQ(ratings_error(std::string(kHeader) + "1.5,2,3,4\n"), "ratings.csv line 2: field 'userId': '1.5' is not an integer");
}

TEST(RatingsCsv, ExplainsMissingAndExtraFields) {
  EXPECT_EQ(ratings_error(std::string(kHeader) + "1,2,3,4\n1,2,3\n"), "ratings.csv line 3: too few fields (a missing column)");
  EXPECT_EQ(ratings_error(std::string(kHeader) + "1,2,3,4,5\n"), "ratings.csv line 2: too many fields (an extra field)");
}

TEST(RatingsCsv, ExplainsWrongEmptyAndHeaderOnlyFiles) {
  EXPECT_EQ(ratings_error("userId,movieId,stars,timestamp\n1,2,3,4\n"), "ratings.csv line 1: header: unexpected column 'stars'");
  EXPECT_EQ(ratings_error("1,31,2.5,1260759144\n"), "ratings.csv line 1: header: unexpected column '1'");
  EXPECT_EQ(ratings_error(""), "ratings.csv line 1: the file is empty (no header)");
  EXPECT_EQ(ratings_error(kHeader), "ratings.csv line 2: no ratings after the header");
}

TEST(MoviesCsv, ReadsQuotedTitlesWithCommasAndQuotes) {
  auto m = movies("movieId,title,genres\n1,Toy Story (1995),Adventure\n50,\"Usual Suspects, The (1995)\",Crime\n"
                  "7,\"Say \"\"Hi\"\" (2001)\",Drama\n8,Amélie (2001),Comedy\n");
  ASSERT_EQ(m.size(), 4u);
  EXPECT_EQ(m.title[1], "Usual Suspects, The (1995)");
  EXPECT_EQ(m.title[2], "Say \"Hi\" (2001)");
  EXPECT_EQ(m.title[3], "Amélie (2001)");
}

TEST(MoviesCsv, ExplainsAnUnterminatedQuoteDuplicateIdsAndBadUtf8) {
  EXPECT_EQ(movies_error("movieId,title,genres\n1,A (1995),x\n2,\"Broken, The (1995),Crime\n"),
            "movies.csv line 3: a quoted field is not closed");
  EXPECT_EQ(movies_error("movieId,title,genres\n1,A,x\n1,B,y\n"), "movies.csv line 3: field 'movieId': '1' appears twice");
  EXPECT_EQ(movies_error("movieId,title,genres\n1,Am\xE9lie,x\n"), "movies.csv line 2: field 'title': is not valid UTF-8");
  EXPECT_EQ(movies_error("movieId,title\n1,A\n"), "movies.csv line 1: header: missing column 'genres'");
}

TEST(Ml100k, ReadsTabSeparatedRatingsAndLatin1PipeSeparatedTitles) {
  std::istringstream data("196\t242\t3\t881250949\n186\t302\t3\t891717742\n");
  auto r = read_ratings_delimited("u.data", data, "\t", 1, 5);
  ASSERT_EQ(r.size(), 2u);
  EXPECT_EQ(r.user_id[1], 186);
  std::istringstream items("1|Toy Story (1995)|01-Jan-1995||http://x|0|0|0\n2|Am\xE9lie (2001)|01-Jan-2001||x|0|1|0\n");
  auto m = read_movies_delimited("u.item", items, "|", true);
  ASSERT_EQ(m.size(), 2u);
  EXPECT_EQ(m.title[1], "Amélie (2001)");
}

TEST(DatFormat, ReadsDoubleColonSeparatedFiles) {
  std::istringstream data("1::1193::5::978300760\n1::661::3::978302109\n");
  auto r = read_ratings_delimited("ratings.dat", data, "::", 1, 5);
  EXPECT_EQ(r.movie_id, (std::vector<std::int32_t>{1193, 661}));
  std::istringstream items("1::Toy Story (1995)::Animation|Children's|Comedy\n2::Jumanji (1995)::Adventure\n");
  auto m = read_movies_delimited("movies.dat", items, "::", false);
  EXPECT_EQ(m.title[1], "Jumanji (1995)");
  std::istringstream bad("1::1193::6::978300760\n");
  Error e = test_support::expect_error([&] { read_ratings_delimited("ratings.dat", bad, "::", 1, 5); });
  EXPECT_EQ(std::string(e.what()), "ratings.dat line 1: field 'rating': '6' is outside this data set's range 1..5");
}

TEST(DatasetFiles, MissingFileIsNoInput) {
  EXPECT_EQ(test_support::expect_error([&] {
              read_data_files(*find_dataset("ml-latest-small"), "/nonexistent/ratings.csv", "/nonexistent/movies.csv");
            }).code(),
            ExitCode::no_input);
}

TEST(DatasetFiles, EveryRegisteredFormatReadsItsSample) {
  const std::string dir = test_support::temp_dir("formats");
  test_support::write_text(dir + "/u.data", "1\t2\t4\t0\n");
  test_support::write_text(dir + "/u.item", "2|Caf\xE9 (1990)|x\n");
  auto r = read_dataset_files(*find_dataset("ml-100k"), dir);
  EXPECT_EQ(r.movies.title[0], "Café (1990)");
  test_support::write_text(dir + "/ratings.dat", "1::2::4::0\n");
  test_support::write_text(dir + "/movies.dat", "2::Caf\xE9 (1990)::Drama\n");
  EXPECT_EQ(read_dataset_files(*find_dataset("ml-1m"), dir).movies.title[0], "Café (1990)");
  test_support::write_text(dir + "/movies.dat", "2::Café (1990)::Drama\n");
  EXPECT_EQ(read_dataset_files(*find_dataset("ml-10m"), dir).ratings.rating[0], 4.0f);
  test_support::write_text(dir + "/ratings.csv", "userId,movieId,rating,timestamp\n1,2,4.5,0\n");
  test_support::write_text(dir + "/movies.csv", "movieId,title,genres\n2,X (1990),Drama\n");
  for (const char* name : {"ml-latest-small", "ml-20m", "ml-25m", "ml-32m", "ml-latest"})
    EXPECT_EQ(read_dataset_files(*find_dataset(name), dir).ratings.rating[0], 4.5f) << name;
}
