#include "train/split.h"

#include <algorithm>
#include <charconv>
#include <numeric>
#include <unordered_map>

#include "support/error.h"
#include "support/hash.h"
#include "support/parallel.h"
#include "support/random.h"

namespace collab {
namespace {

// The seed's permutation of all rows: the random split's, and the order of every split's
// training rows.
std::vector<std::int32_t> permutation(size_t n, std::uint64_t seed) {
  std::vector<std::int32_t> order(n);
  std::iota(order.begin(), order.end(), 0);
  Rng rng(seed, /*stream=*/1);
  rng.shuffle(order);
  return order;
}

// The columns of `rows`, in their order. The rows are scattered over columns of millions, so each
// is asked for a few rows ahead, and the cores share them (ml-25m-shaped data, 20 million training
// ratings: 0.80 -> 0.48 s on two cores).
void take(const EncodedRatings& data, const std::vector<std::int32_t>& rows, RatingSet& set) {
  constexpr size_t kAhead = 16;
  const size_t n = rows.size();
  set.user.resize(n);
  set.item.resize(n);
  set.rating.resize(n);
  parallel_ranges(n, size_t{1} << 18, [&](size_t from, size_t to) {
    for (size_t k = from; k < to; ++k) {
      if (k + kAhead < to) {
        const auto ahead = static_cast<size_t>(rows[k + kAhead]);
        __builtin_prefetch(&data.user[ahead]);
        __builtin_prefetch(&data.item[ahead]);
        __builtin_prefetch(&data.rating[ahead]);
      }
      const auto row = static_cast<size_t>(rows[k]);
      set.user[k] = data.user[row];
      set.item[k] = data.item[row];
      set.rating[k] = data.rating[row];
    }
  });
}

// The split with validation rows `valid` (in their order) and every other row for training, in
// the order of the seed's permutation.
TrainValidSplit with_validation_rows(const EncodedRatings& data, std::vector<std::int32_t> valid, std::uint64_t seed) {
  std::vector<char> is_valid(data.size(), 0);
  for (auto r : valid) is_valid[static_cast<size_t>(r)] = 1;
  TrainValidSplit s;
  s.train_rows.reserve(data.size() - valid.size());
  for (auto r : permutation(data.size(), seed))
    if (!is_valid[static_cast<size_t>(r)]) s.train_rows.push_back(r);
  s.valid_rows = std::move(valid);
  take(data, s.valid_rows, s.valid);
  take(data, s.train_rows, s.train);
  return s;
}

void check_pct(double valid_pct) {
  if (!(valid_pct >= 0.0 && valid_pct < 1.0))
    throw usage_error("--valid-pct must be in [0, 1), got " + std::to_string(valid_pct));
}

// Rows in time order; ties in row order.
std::vector<std::int32_t> by_time(const EncodedRatings& data, const char* split) {
  if (!data.has_timestamps || data.timestamp.size() != data.size())
    throw data_error(std::string("--split ") + split + " needs timestamps, and these ratings have none");
  std::vector<std::int32_t> rows(data.size());
  std::iota(rows.begin(), rows.end(), 0);
  std::stable_sort(rows.begin(), rows.end(), [&](std::int32_t a, std::int32_t b) {
    return data.timestamp[static_cast<size_t>(a)] < data.timestamp[static_cast<size_t>(b)];
  });
  return rows;
}

std::vector<std::int32_t> time_rows(const EncodedRatings& data, double valid_pct) {
  check_pct(valid_pct);
  const auto rows = by_time(data, "time");
  const auto cut = static_cast<size_t>(valid_pct * static_cast<double>(rows.size()));
  return {rows.end() - static_cast<long>(cut), rows.end()};
}

// Each user's latest `last` ratings; a user with no more ratings than that would have none to
// train on.
std::vector<std::int32_t> user_last_rows(const EncodedRatings& data, int last) {
  if (last < 1) throw usage_error("--valid-last must be at least 1");
  const auto rows = by_time(data, "user-last");
  std::vector<std::int32_t> count(data.vocabulary.user_rows(), 0), taken(data.vocabulary.user_rows(), 0);
  for (auto u : data.user) ++count[static_cast<size_t>(u)];
  for (size_t u = 1; u < count.size(); ++u)
    if (count[u] > 0 && count[u] <= last)
      throw data_error("--split user-last --valid-last " + std::to_string(last) + " leaves user " +
                       std::to_string(data.vocabulary.user_ids[u]) + " (" + std::to_string(count[u]) +
                       " ratings) no rating to train on");
  std::vector<std::int32_t> valid;
  for (auto it = rows.rbegin(); it != rows.rend(); ++it) {  // latest first
    const auto u = static_cast<size_t>(data.user[static_cast<size_t>(*it)]);
    if (taken[u] < last) ++taken[u], valid.push_back(*it);
  }
  std::reverse(valid.begin(), valid.end());  // in time order
  return valid;
}

}  // namespace

std::string split_name(SplitKind k) {
  switch (k) {
    case SplitKind::random: return "random";
    case SplitKind::time: return "time";
    case SplitKind::user_last: return "user-last";
    case SplitKind::given: return "given";
  }
  return "random";
}

SplitKind parse_split(const std::string& name) {
  for (SplitKind k : {SplitKind::random, SplitKind::time, SplitKind::user_last, SplitKind::given})
    if (split_name(k) == name) return k;
  throw usage_error("unknown split '" + name + "' (random, time, user-last)");
}

TrainValidSplit random_split(const EncodedRatings& data, double valid_pct, std::uint64_t seed) {
  check_pct(valid_pct);
  const auto order = permutation(data.size(), seed);
  const auto cut = static_cast<size_t>(valid_pct * static_cast<double>(order.size()));
  TrainValidSplit s;
  s.valid_rows.assign(order.begin(), order.begin() + static_cast<long>(cut));
  s.train_rows.assign(order.begin() + static_cast<long>(cut), order.end());
  take(data, s.valid_rows, s.valid);
  take(data, s.train_rows, s.train);
  return s;
}

TrainValidSplit split_ratings(const EncodedRatings& data, const SplitSpec& spec) {
  switch (spec.kind) {
    case SplitKind::random: return random_split(data, spec.valid_pct, spec.seed);
    case SplitKind::time: return with_validation_rows(data, time_rows(data, spec.valid_pct), spec.seed);
    case SplitKind::user_last: return with_validation_rows(data, user_last_rows(data, spec.valid_last), spec.seed);
    case SplitKind::given: {
      const RatingColumns rows = read_ratings_csv_file(spec.valid_ratings);
      return with_validation_rows(data, rows_of_ratings_file(data, rows, spec.valid_ratings), spec.seed);
    }
  }
  throw internal_error("unknown split");
}

TrainValidSplit kfold_split(const EncodedRatings& data, int folds, int fold, std::uint64_t seed) {
  if (folds < 2) throw usage_error("--folds must be at least 2");
  if (data.size() < static_cast<size_t>(folds)) throw data_error("fewer ratings than folds");
  const auto order = permutation(data.size(), seed);
  const size_t n = order.size();
  const size_t from = n * static_cast<size_t>(fold) / static_cast<size_t>(folds);
  const size_t to = n * static_cast<size_t>(fold + 1) / static_cast<size_t>(folds);
  TrainValidSplit s;
  s.valid_rows.assign(order.begin() + static_cast<long>(from), order.begin() + static_cast<long>(to));
  s.train_rows.assign(order.begin(), order.begin() + static_cast<long>(from));
  s.train_rows.insert(s.train_rows.end(), order.begin() + static_cast<long>(to), order.end());
  take(data, s.valid_rows, s.valid);
  take(data, s.train_rows, s.train);
  return s;
}

std::string split_fingerprint(const TrainValidSplit& split) {
  Hasher h;
  for (const RatingSet* set : {&split.train, &split.valid}) {
    h.column(set->user);
    h.column(set->item);
    h.column(set->rating);
  }
  return hex_digest(h.digest());
}

namespace {
std::string shortest(float x) {
  char text[32];
  return std::string(text, std::to_chars(text, text + sizeof text, x).ptr);
}
}  // namespace

std::vector<std::int32_t> rows_of_ratings_file(const EncodedRatings& data, const RatingColumns& rows,
                                               const std::string& path) {
  std::unordered_map<std::uint64_t, std::int32_t> row_of;  // (userId, movieId) -> row
  row_of.reserve(data.size());
  auto key = [](std::int32_t user, std::int32_t movie) {
    return (static_cast<std::uint64_t>(static_cast<std::uint32_t>(user)) << 32) | static_cast<std::uint32_t>(movie);
  };
  if (data.movie_id.size() != data.size()) throw internal_error("the ratings have no movieId column");
  for (size_t r = 0; r < data.size(); ++r)
    row_of.emplace(key(data.vocabulary.user_ids[static_cast<size_t>(data.user[r])], data.movie_id[r]),
                   static_cast<std::int32_t>(r));
  std::vector<std::int32_t> out;
  std::vector<char> seen(data.size(), 0);
  out.reserve(rows.size());
  // Pairs are unique in the data (the loader refuses a repeat), so each line names one row; a
  // line that names it again, or with another rating, is a file that is not a split of this data.
  for (size_t i = 0; i < rows.size(); ++i) {
    auto it = row_of.find(key(rows.user_id[i], rows.movie_id[i]));
    const std::string where = path + " line " + std::to_string(rows.line_of(i)) + ": ";
    const std::string pair = "userId " + std::to_string(rows.user_id[i]) + ", movieId " + std::to_string(rows.movie_id[i]);
    if (it == row_of.end()) throw data_error(where + pair + " is not a rating of the data set");
    const auto row = static_cast<size_t>(it->second);
    if (seen[row]++) throw data_error(where + pair + " appears twice (one rating per user and movie)");
    if (rows.rating[i] != data.rating[row])
      throw data_error(where + "field 'rating': " + pair + " is rated " + shortest(rows.rating[i]) + " here but " +
                       shortest(data.rating[row]) + " in the data set");
    out.push_back(it->second);
  }
  if (out.empty()) throw data_error(path + ": no validation ratings");
  return out;
}

}  // namespace collab
