#include <gtest/gtest.h>

#include "model/title_match.h"
#include "test_support.h"

using namespace collab;

namespace {
Vocabulary vocab() {
  Vocabulary v;
  v.user_ids = {-1, 1, 5, 9};
  v.item_titles = {"#na#", "Usual Suspects, The (1995)", "Amélie (2001)", "Prime Suspect 2 (1992)",
                   "Matrix, The (1999)", "Matrix Reloaded, The (2003)"};
  v.item_movie_ids = {-1, 50, 4973, 8, 2571, 6365};
  return v;
}
}  // namespace

TEST(TitleMatch, ExactTitlesAndUniqueLooseMatchesAreFound) {
  const Vocabulary v = vocab();
  EXPECT_EQ(find_item(v, "Amélie (2001)"), 2);
  EXPECT_EQ(find_item(v, "Usual Suspects"), 1);
  EXPECT_EQ(find_item(v, "the usual suspects"), 1);
  EXPECT_EQ(find_item(v, "THE MATRIX"), 4);
}

TEST(TitleMatch, UnknownTitlesNameTheQueryAndOfferTheClosest) {
  const Vocabulary v = vocab();
  Error e = test_support::expect_error([&] { find_item(v, "Usual Suspect"); });
  EXPECT_EQ(e.code(), ExitCode::data);
  const std::string msg = e.what();
  EXPECT_NE(msg.find("no item titled 'Usual Suspect'"), std::string::npos);
  EXPECT_NE(msg.find("closest: Usual Suspects, The (1995)"), std::string::npos) << msg;
}

TEST(TitleMatch, UsersAreFoundByIdAndUnknownOnesExplained) {
  const Vocabulary v = vocab();
  EXPECT_EQ(find_user(v, 5), 2);
  Error e = test_support::expect_error([&] { find_user(v, 7); });
  EXPECT_EQ(std::string(e.what()), "no user 7 in the model (its users run from 1 to 9)");
}

TEST(TitleMatch, NormalisationIgnoresCaseYearAndArticles) {
  EXPECT_EQ(normalise_title("Usual Suspects, The (1995)"), "usual suspects");
  EXPECT_EQ(normalise_title("The Usual Suspects"), "usual suspects");
  EXPECT_EQ(normalise_title("A Beautiful Mind (2001)"), "beautiful mind");
}
