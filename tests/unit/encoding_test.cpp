#include <gtest/gtest.h>

#include "data/encoding.h"
#include "test_support.h"

using namespace collab;

namespace {
RawDataset sample() {
  RawDataset raw;
  raw.ratings_path = "ratings.csv";
  raw.movies_path = "movies.csv";
  // users 30, 10, 20; movie 99 has no title; movies 2 and 3 share a title.
  raw.ratings.user_id = {30, 10, 20, 10, 30};
  raw.ratings.movie_id = {1, 2, 3, 99, 2};
  raw.ratings.rating = {4, 3, 5, 1, 2};
  raw.movies.movie_id = {3, 2, 1, 4};
  raw.movies.title = {"B (2000)", "B (2000)", "A (1999)", "Unrated (2001)"};
  return raw;
}
}  // namespace

TEST(Encoding, InnerJoinDropsRatingsWithoutAMovieAndCountsThem) {
  EncodedRatings e = merge_and_encode(sample(), ItemKey::title);
  EXPECT_EQ(e.size(), 4u);
  EXPECT_EQ(e.dropped_ratings, 1u);
  EXPECT_EQ(e.rating, (std::vector<float>{4, 3, 5, 2}));
}

TEST(Encoding, SortedVocabulariesWithNaAtIndexZero) {
  EncodedRatings e = merge_and_encode(sample(), ItemKey::title);
  EXPECT_EQ(e.vocabulary.user_ids, (std::vector<std::int32_t>{-1, 10, 20, 30}));
  // Titles key the items: movies 2 and 3 are one item; an unrated movie is no item.
  EXPECT_EQ(e.vocabulary.item_titles, (std::vector<std::string>{"#na#", "A (1999)", "B (2000)"}));
  EXPECT_EQ(e.vocabulary.item_movie_ids, (std::vector<std::int32_t>{-1, 1, 2}));
  EXPECT_EQ(e.user, (std::vector<std::int32_t>{3, 1, 2, 3}));
  EXPECT_EQ(e.item, (std::vector<std::int32_t>{1, 2, 2, 2}));
}

TEST(Encoding, MovieIdKeysKeepMoviesWithTheSameTitleApart) {
  EncodedRatings e = merge_and_encode(sample(), ItemKey::movie_id);
  EXPECT_EQ(e.vocabulary.item_movie_ids, (std::vector<std::int32_t>{-1, 1, 2, 3}));
  EXPECT_EQ(e.item, (std::vector<std::int32_t>{1, 2, 3, 2}));
}

TEST(Encoding, NoMatchingMovieIsADataError) {
  RawDataset raw = sample();
  raw.movies.movie_id = {500};
  raw.movies.title = {"X"};
  EXPECT_EQ(test_support::expect_error([&] { merge_and_encode(std::move(raw), ItemKey::title); }).code(), ExitCode::data);
}
