// The filters applied before a split: ratings below a threshold, then the k-core.
#include "train/filters.h"

#include <gtest/gtest.h>

#include "test_support.h"

using namespace collab;

namespace {
// Users 10, 20, 30, 40 and movies 1-4 (items in movieId order), each rating given as
// (user id, movieId, rating).
struct Rating {
  std::int32_t user, movie;
  float rating;
};
EncodedRatings by_hand(const std::vector<Rating>& ratings) {
  EncodedRatings d;
  d.vocabulary.user_ids = {-1, 10, 20, 30, 40};
  d.vocabulary.item_titles = {"#na#", "One (2001)", "Two (2002)", "Three (2003)", "Four (2004)"};
  d.vocabulary.item_movie_ids = {-1, 1, 2, 3, 4};
  for (const auto& r : ratings) {
    d.user.push_back(r.user / 10);
    d.item.push_back(r.movie);
    d.rating.push_back(r.rating);
    d.movie_id.push_back(r.movie);
    d.timestamp.push_back(1000 + static_cast<std::int64_t>(d.user.size()));
  }
  return d;
}

// A k-core reached only in four rounds: movie 4 has one rating; dropping it leaves user 40 one
// rating; dropping that leaves movie 3 one (user 30's); dropping that leaves user 30 one.
const std::vector<Rating> kChain = {{10, 1, 4}, {10, 2, 4}, {20, 1, 3}, {20, 2, 5},
                                    {30, 2, 2}, {30, 3, 4}, {40, 3, 3}, {40, 4, 1}};
}  // namespace

TEST(Filters, KCoreRepeatsUntilEveryUserAndItemHasTheMinimum) {
  EncodedRatings d = by_hand(kChain);
  RatingFilters f;
  f.min_user_ratings = 2;
  f.min_item_ratings = 2;
  const FilterReport r = apply_filters(d, f);
  // Left: users 10 and 20 with movies 1 and 2, in their original order.
  EXPECT_EQ(d.size(), 4u);
  EXPECT_EQ(d.movie_id, (std::vector<std::int32_t>{1, 2, 1, 2}));
  EXPECT_EQ(d.rating, (std::vector<float>{4, 4, 3, 5}));
  EXPECT_EQ(d.timestamp, (std::vector<std::int64_t>{1001, 1002, 1003, 1004}));
  // Rounds: movie 4 (item), user 40 (user), movie 3 (item), user 30 (user).
  EXPECT_EQ(r.core_rounds, 4);
  EXPECT_EQ(r.by_min_user_ratings, 2u);
  EXPECT_EQ(r.by_min_item_ratings, 2u);
  EXPECT_EQ(r.ratings_before, 8u);
  EXPECT_EQ(r.ratings_after, 4u);
  EXPECT_EQ(r.users_before, 4u);
  EXPECT_EQ(r.users_after, 2u);
  EXPECT_EQ(r.items_before, 4u);
  EXPECT_EQ(r.items_after, 2u);
}

TEST(Filters, UsersAndItemsWithNoRatingLeftLeaveTheVocabulary) {
  EncodedRatings d = by_hand(kChain);
  RatingFilters f;
  f.min_user_ratings = 2;
  f.min_item_ratings = 2;
  apply_filters(d, f);
  EXPECT_EQ(d.vocabulary.user_ids, (std::vector<std::int32_t>{-1, 10, 20}));
  EXPECT_EQ(d.vocabulary.item_titles,
            (std::vector<std::string>{"#na#", "One (2001)", "Two (2002)"}));
  EXPECT_EQ(d.vocabulary.item_movie_ids, (std::vector<std::int32_t>{-1, 1, 2}));
  EXPECT_EQ(d.user, (std::vector<std::int32_t>{1, 1, 2, 2}));
  EXPECT_EQ(d.item, (std::vector<std::int32_t>{1, 2, 1, 2}));
}

TEST(Filters, MinRatingDropsRatingsBelowItBeforeTheKCore) {
  // Below 3 go user 30's rating of movie 2 and user 40's of movie 4; the 2-core of what is left
  // then loses user 30 and user 40 (one rating each), then movie 3 (no rating left).
  EncodedRatings d = by_hand(kChain);
  RatingFilters f;
  f.min_rating = 3;
  f.min_user_ratings = 2;
  const FilterReport r = apply_filters(d, f);
  EXPECT_EQ(r.below_min_rating, 2u);
  EXPECT_EQ(r.by_min_user_ratings, 2u);
  EXPECT_EQ(r.by_min_item_ratings, 0u);
  EXPECT_EQ(r.core_rounds, 1);
  EXPECT_EQ(d.vocabulary.user_ids, (std::vector<std::int32_t>{-1, 10, 20}));
  EXPECT_EQ(d.vocabulary.item_movie_ids, (std::vector<std::int32_t>{-1, 1, 2}));
  // A rating equal to the threshold stays.
  EXPECT_EQ(d.rating, (std::vector<float>{4, 4, 3, 5}));
}

TEST(Filters, NoFilterLeavesTheRatingsAndVocabularyAsTheyWere) {
  const EncodedRatings before = by_hand(kChain);
  EncodedRatings d = before;
  RatingFilters none;
  none.min_user_ratings = 1;  // every present user has one: no limit
  EXPECT_FALSE(none.any());
  apply_filters(d, none);
  EXPECT_EQ(d.user, before.user);
  EXPECT_EQ(d.item, before.item);
  EXPECT_EQ(d.vocabulary.user_ids, before.vocabulary.user_ids);
  EXPECT_EQ(d.vocabulary.item_titles, before.vocabulary.item_titles);
}

TEST(Filters, AFilterThatLeavesNothingIsADataErrorNamingIt) {
  EncodedRatings d = by_hand(kChain);
  RatingFilters high;
  high.min_rating = 5.5;
  Error e = test_support::expect_error([&] { apply_filters(d, high); });
  EXPECT_EQ(e.code(), ExitCode::data);
  EXPECT_NE(std::string(e.what()).find("--min-rating 5.5 leaves no rating"), std::string::npos)
      << e.what();

  d = by_hand(kChain);
  RatingFilters core;
  core.min_item_ratings = 4;
  e = test_support::expect_error([&] { apply_filters(d, core); });
  EXPECT_EQ(e.code(), ExitCode::data);
  EXPECT_NE(std::string(e.what()).find("--min-item-ratings 4 leave no rating"), std::string::npos)
      << e.what();
}

TEST(Filters, TheReportNamesEachOptionWithWhatItRemoved) {
  EncodedRatings d = by_hand(kChain);
  RatingFilters f;
  f.min_user_ratings = 2;
  f.min_item_ratings = 2;
  const std::string text = filter_report_text(f, apply_filters(d, f));
  EXPECT_EQ(text,
            "--min-user-ratings 2 removed 2 ratings; --min-item-ratings 2 removed 2 ratings "
            "(k-core, 4 rounds); "
            "left 4 of 8 ratings, 2 of 4 users, 2 of 4 items");
  EXPECT_EQ(filter_options_text(f), "--min-user-ratings 2 --min-item-ratings 2");
}

TEST(Filters, TheReportCountsUsersAndItemsWithHundredsOfRatingsOnce) {
  EncodedRatings d = test_support::synthetic_ratings(2, 300, 1.0, 1);  // each user rates every item
  RatingFilters f;
  f.min_rating = 0;  // keeps every rating
  const FilterReport r = apply_filters(d, f);
  EXPECT_EQ(r.users_before, 2u);
  EXPECT_EQ(r.users_after, 2u);
  EXPECT_EQ(r.items_before, 300u);
  EXPECT_EQ(r.ratings_after, 600u);
}
