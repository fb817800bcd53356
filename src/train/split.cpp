#include "train/split.h"

#include <algorithm>
#include <charconv>
#include <cmath>
#include <numeric>
#include <unordered_map>

#include "support/error.h"
#include "support/hash.h"
#include "support/parallel.h"
#include "support/random.h"

namespace collab {

std::vector<std::int32_t> split_permutation(size_t n, std::uint64_t seed) {
  std::vector<std::int32_t> order(n);
  std::iota(order.begin(), order.end(), 0);
  Rng rng(seed, /*stream=*/1);
  rng.shuffle(order);
  return order;
}

namespace {

std::vector<std::int32_t> permutation(size_t n, std::uint64_t seed) { return split_permutation(n, seed); }

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

// The split with validation rows `valid` (in their order), test rows `test` held out of both,
// and every other row for training, in the order of the seed's permutation.
TrainValidSplit with_validation_rows(const EncodedRatings& data, std::vector<std::int32_t> valid, std::uint64_t seed,
                                     std::vector<std::int32_t> test = {}) {
  std::vector<char> held_out(data.size(), 0);
  for (auto r : valid) held_out[static_cast<size_t>(r)] = 1;
  for (auto r : test) held_out[static_cast<size_t>(r)] = 1;
  TrainValidSplit s;
  s.train_rows.reserve(data.size() - valid.size() - test.size());
  for (auto r : permutation(data.size(), seed))
    if (!held_out[static_cast<size_t>(r)]) s.train_rows.push_back(r);
  s.valid_rows = std::move(valid);
  s.test_rows = std::move(test);
  take(data, s.valid_rows, s.valid);
  take(data, s.train_rows, s.train);
  return s;
}

void check_pct(double valid_pct, double test_pct = 0) {
  if (!(valid_pct >= 0.0 && valid_pct < 1.0))
    throw usage_error("--valid-pct must be in [0, 1), got " + std::to_string(valid_pct));
  if (!(test_pct >= 0.0 && test_pct < 1.0))
    throw usage_error("--test-pct must be in [0, 1), got " + std::to_string(test_pct));
  if (!(valid_pct + test_pct < 1.0))
    throw usage_error("--valid-pct and --test-pct must add up to less than 1, got " + std::to_string(valid_pct) +
                      " + " + std::to_string(test_pct));
}

// Validation and test rows of a split that holds out shares.
struct HeldOut {
  std::vector<std::int32_t> valid, test;
  size_t users_kept_whole = 0;
};

// The random split with test rows: the permutation's head validates (fastai's), the next
// floor(test_pct * n) rows are the test rows.
HeldOut random_rows(const EncodedRatings& data, double valid_pct, double test_pct, std::uint64_t seed) {
  check_pct(valid_pct, test_pct);
  const auto order = permutation(data.size(), seed);
  const auto n = static_cast<double>(order.size());
  const auto valid_end = order.begin() + static_cast<long>(valid_pct * n);
  const auto test_end = valid_end + static_cast<long>(test_pct * n);
  return {{order.begin(), valid_end}, {valid_end, test_end}, 0};
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

// The latest floor(test_pct * n) ratings are the test rows, the floor(valid_pct * n) before
// them validate.
HeldOut time_rows(const EncodedRatings& data, double valid_pct, double test_pct) {
  check_pct(valid_pct, test_pct);
  const auto rows = by_time(data, "time");
  const auto n = static_cast<double>(rows.size());
  const auto test_begin = rows.end() - static_cast<long>(test_pct * n);
  const auto valid_begin = test_begin - static_cast<long>(valid_pct * n);
  return {{valid_begin, test_begin}, {test_begin, rows.end()}, 0};
}

// How many of the ranks k = 1..n have k / n <= share, computed in doubles as Recommenders does
// (rank / count <= threshold), so that a share like 0.8 of 5 gives exactly 4.
std::int64_t ranks_within(std::int64_t n, double share) {
  const auto over_n = [n](std::int64_t k) { return static_cast<double>(k) / static_cast<double>(n); };
  auto k = std::clamp(static_cast<std::int64_t>(std::floor(share * static_cast<double>(n))), std::int64_t{0}, n);
  while (k < n && over_n(k + 1) <= share) ++k;
  while (k > 0 && over_n(k) > share) --k;
  return k;
}

// Each user's share (user_share) of their ratings taken in `order`: the seed's permutation or
// time order. Validation and test rows are listed in that order.
HeldOut per_user_rows(const EncodedRatings& data, const std::vector<std::int32_t>& order, double valid_pct,
                      double test_pct) {
  const size_t users = data.vocabulary.user_rows();
  std::vector<std::int64_t> count(users, 0), seen(users, 0), train_end(users, 0), valid_end(users, 0);
  for (auto u : data.user) ++count[static_cast<size_t>(u)];
  HeldOut held;
  for (size_t u = 0; u < users; ++u) {
    if (count[u] == 0) continue;
    const UserShare share = user_share(count[u], valid_pct, test_pct);
    train_end[u] = share.train;
    valid_end[u] = share.train + share.valid;
    if (share.train == count[u]) ++held.users_kept_whole;
  }
  for (auto r : order) {
    const auto u = static_cast<size_t>(data.user[static_cast<size_t>(r)]);
    const std::int64_t k = seen[u]++;
    if (k >= valid_end[u]) {
      held.test.push_back(r);
    } else if (k >= train_end[u]) {
      held.valid.push_back(r);
    }
  }
  return held;
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
    case SplitKind::user_random: return "user-random";
    case SplitKind::user_time: return "user-time";
    case SplitKind::given: return "given";
  }
  return "random";
}

SplitKind parse_split(const std::string& name) {
  for (SplitKind k : {SplitKind::random, SplitKind::time, SplitKind::user_last, SplitKind::user_random,
                      SplitKind::user_time, SplitKind::given})
    if (split_name(k) == name) return k;
  throw usage_error("unknown split '" + name + "' (random, time, user-last, user-random, user-time)");
}

UserShare user_share(std::int64_t n, double valid_pct, double test_pct) {
  check_pct(valid_pct, test_pct);
  UserShare s;
  if (n <= 0) return s;
  const double train_share = 1.0 - valid_pct - test_pct;
  s.train = std::max<std::int64_t>(ranks_within(n, train_share), 1);  // one rating always trains
  const std::int64_t valid_end = test_pct > 0 ? std::max(ranks_within(n, train_share + valid_pct), s.train) : n;
  s.valid = valid_end - s.train;
  s.test = n - valid_end;
  return s;
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

namespace {

// The split of the shares in `held`; an empty test set where test rows were asked for is a data error.
TrainValidSplit with_held_out_rows(const EncodedRatings& data, HeldOut held, const SplitSpec& spec,
                                   std::uint64_t seed) {
  if (spec.test_pct > 0 && held.test.empty())
    throw data_error("--test-pct " + std::to_string(spec.test_pct) + " leaves the test set empty (" +
                     std::to_string(data.size()) + " ratings)");
  TrainValidSplit s = with_validation_rows(data, std::move(held.valid), seed, std::move(held.test));
  s.users_kept_whole = held.users_kept_whole;
  return s;
}

}  // namespace

bool asks_for_validation(const SplitSpec& spec) { return spec.kind != SplitKind::random || spec.valid_pct > 0; }

void check_split_spec(const SplitSpec& spec) {
  if (spec.test_pct != 0 && (spec.kind == SplitKind::user_last || spec.kind == SplitKind::given))
    throw usage_error("--test-pct needs a split by shares (random, time, user-random, user-time), not " +
                      std::string(spec.kind == SplitKind::given ? "--valid-ratings" : "--split user-last"));
  if (spec.kind != SplitKind::user_last && spec.kind != SplitKind::given) check_pct(spec.valid_pct, spec.test_pct);
}

TrainValidSplit split_ratings(const EncodedRatings& data, const SplitSpec& spec, std::uint64_t seed) {
  check_split_spec(spec);
  switch (spec.kind) {
    case SplitKind::random:
      // Without test rows, fastai's RandomSplitter exactly as it always was.
      if (spec.test_pct == 0) return random_split(data, spec.valid_pct, seed);
      return with_held_out_rows(data, random_rows(data, spec.valid_pct, spec.test_pct, seed), spec, seed);
    case SplitKind::time: return with_held_out_rows(data, time_rows(data, spec.valid_pct, spec.test_pct), spec, seed);
    case SplitKind::user_last: return with_validation_rows(data, user_last_rows(data, spec.valid_last), seed);
    case SplitKind::user_random:
      return with_held_out_rows(
          data, per_user_rows(data, permutation(data.size(), seed), spec.valid_pct, spec.test_pct), spec, seed);
    case SplitKind::user_time:
      return with_held_out_rows(data, per_user_rows(data, by_time(data, "user-time"), spec.valid_pct, spec.test_pct),
                                spec, seed);
    case SplitKind::given: {
      const RatingColumns rows = read_ratings_csv_file(spec.valid_ratings);
      return with_validation_rows(data, rows_of_ratings_file(data, rows, spec.valid_ratings), seed);
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
