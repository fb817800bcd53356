// Finding users and items a person names on the command line, with helpful suggestions.
#pragma once

#include <cstdint>
#include <string>
#include <unordered_map>
#include <vector>

#include "data/encoding.h"

namespace collab {

// The item a query names: its exact title (or movieId for movieId-keyed models), else the one
// title equal to it ignoring case, the year and a leading or trailing article ("usual suspects"
// -> "Usual Suspects, The (1995)"). Otherwise throws ExitCode::data naming the query and offering
// the closest titles.
std::int32_t find_item(const Vocabulary& vocab, const std::string& query);

// find_item for many queries (a person's ratings): the vocabulary is indexed once by title,
// normalised title and movieId, so each query is a hash lookup; a query find_item would refuse is
// refused by find_item itself, with its suggestions.
class ItemIndex {
 public:
  explicit ItemIndex(const Vocabulary& vocab);
  std::int32_t by_title(const std::string& query) const;  // as find_item
  std::int32_t by_movie_id(std::int32_t movie_id) const;  // 0 when no item has it
 private:
  const Vocabulary& vocab_;
  std::unordered_map<std::string, std::int32_t> exact_, normalised_;  // normalised: -1 when several
  std::unordered_map<std::int32_t, std::int32_t> movie_;
};

// Up to `n` titles closest to the query, best first.
std::vector<std::string> closest_titles(const Vocabulary& vocab, const std::string& query, size_t n);

// The row of a userId; throws ExitCode::data when the model does not know the user.
std::int32_t find_user(const Vocabulary& vocab, std::int64_t user_id);
// find_user's message for a userId the model lacks, given the model's userIds (ascending).
std::string no_such_user(std::int64_t user_id, const std::vector<std::int32_t>& user_ids);

// Lower case, without the year, punctuation or a leading/trailing English article.
std::string normalise_title(const std::string& title);

}  // namespace collab
