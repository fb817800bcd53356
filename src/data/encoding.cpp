#include "data/encoding.h"

#include <algorithm>
#include <atomic>
#include <numeric>
#include <unordered_map>

#include "support/error.h"
#include "support/parallel.h"

namespace collab {
namespace {

// A movieId -> value table: a plain array when ids are dense enough (they are in every GroupLens
// set), which keeps the 25M-row join free of hashing.
class IdTable {
 public:
  explicit IdTable(std::int32_t max_id) : dense_(max_id < (64 << 20)) {
    if (dense_) values_.assign(static_cast<size_t>(max_id) + 1, -1);
  }
  void set(std::int32_t id, std::int32_t v) {
    if (dense_) values_[static_cast<size_t>(id)] = v;
    else map_[id] = v;
  }
  std::int32_t get(std::int32_t id) const {
    if (dense_) return static_cast<size_t>(id) < values_.size() ? values_[static_cast<size_t>(id)] : -1;
    auto it = map_.find(id);
    return it == map_.end() ? -1 : it->second;
  }

 private:
  bool dense_;
  std::vector<std::int32_t> values_;
  std::unordered_map<std::int32_t, std::int32_t> map_;
};

// Items before the join: each distinct key (title or movieId) in sorted order is a candidate
// item, and every movie maps to its candidate.
struct Candidates {
  IdTable movie_to_candidate;
  std::vector<std::int32_t> movie_id;       // per candidate: its smallest movieId
  std::vector<const std::string*> title;    // per candidate
};

Candidates distinct_items(const MovieColumns& movies, ItemKey key) {
  std::vector<size_t> order(movies.size());
  std::iota(order.begin(), order.end(), 0);
  if (key == ItemKey::title) {
    std::sort(order.begin(), order.end(), [&](size_t a, size_t b) {
      int c = movies.title[a].compare(movies.title[b]);
      return c != 0 ? c < 0 : movies.movie_id[a] < movies.movie_id[b];
    });
  } else {
    std::sort(order.begin(), order.end(),
              [&](size_t a, size_t b) { return movies.movie_id[a] < movies.movie_id[b]; });
  }
  std::int32_t max_movie = 0;
  for (auto id : movies.movie_id) max_movie = std::max(max_movie, id);
  Candidates c{IdTable(max_movie), {}, {}};
  for (size_t k = 0; k < order.size(); ++k) {
    size_t m = order[k];
    bool same = key == ItemKey::title && !c.title.empty() && *c.title.back() == movies.title[m];
    if (!same) {
      c.movie_id.push_back(movies.movie_id[m]);
      c.title.push_back(&movies.title[m]);
    }
    c.movie_to_candidate.set(movies.movie_id[m], static_cast<std::int32_t>(c.title.size() - 1));
  }
  return c;
}

// The user vocabulary (sorted distinct ids after #na#) of the first `kept` ratings, and the
// table from a userId to its index.
IdTable encode_users(const std::vector<std::int32_t>& user_id, size_t kept, std::int32_t max_user, Vocabulary& vocab) {
  IdTable user_index(max_user);
  std::vector<std::int32_t> ids(user_id.begin(), user_id.begin() + static_cast<long>(kept));
  std::sort(ids.begin(), ids.end());
  ids.erase(std::unique(ids.begin(), ids.end()), ids.end());
  vocab.user_ids.reserve(ids.size() + 1);
  vocab.user_ids.push_back(-1);
  for (auto id : ids) {
    user_index.set(id, static_cast<std::int32_t>(vocab.user_ids.size()));
    vocab.user_ids.push_back(id);
  }
  return user_index;
}

// One rating per user and movie: a repeated (userId, movieId) pair would make a split written out
// and given back (collab split, then train --valid-ratings) ambiguous, so it is refused where the
// data is read, naming both lines. Rows are bucketed by user (a counting sort, so each bucket is
// in file order) and each bucket's movieIds sorted: linear in the ratings, on every core.
void refuse_repeated_pairs(const std::vector<std::int32_t>& user, const std::vector<std::int32_t>& movie_id,
                           size_t kept, size_t users, const std::vector<size_t>& dropped_rows,
                           const RatingColumns& r, const std::string& path, const Vocabulary& vocab) {
  std::vector<std::uint32_t> start(users + 1, 0);
  for (size_t i = 0; i < kept; ++i) ++start[static_cast<size_t>(user[i]) + 1];
  for (size_t u = 0; u < users; ++u) start[u + 1] += start[u];
  std::vector<std::uint32_t> rows(kept), next(start.begin(), start.end() - 1);
  for (size_t i = 0; i < kept; ++i) rows[next[static_cast<size_t>(user[i])]++] = static_cast<std::uint32_t>(i);
  // The repeat that comes first in the file: the smallest later row of any repeated pair.
  std::atomic<std::uint64_t> first_repeat{~std::uint64_t{0}};
  parallel_ranges(users, 4096, [&](size_t from, size_t to) {
    std::vector<std::pair<std::int32_t, std::uint32_t>> bucket;  // (movieId, row)
    for (size_t u = from; u < to; ++u) {
      bucket.clear();
      for (auto k = start[u]; k < start[u + 1]; ++k) bucket.emplace_back(movie_id[rows[k]], rows[k]);
      std::sort(bucket.begin(), bucket.end());
      for (size_t k = 1; k < bucket.size(); ++k) {
        if (bucket[k].first != bucket[k - 1].first) continue;
        const std::uint64_t pair = (std::uint64_t{bucket[k].second} << 32) | bucket[k - 1].second;
        for (auto seen = first_repeat.load(); pair < seen && !first_repeat.compare_exchange_weak(seen, pair);) {
        }
      }
    }
  });
  if (first_repeat.load() == ~std::uint64_t{0}) return;
  // Kept rows back to file rows (the join dropped `dropped_rows`, sorted), then to lines.
  auto file_row = [&](size_t k) {
    for (size_t d : dropped_rows) k += d <= k;
    return k;
  };
  const size_t later = first_repeat.load() >> 32, earlier = first_repeat.load() & 0xffffffffu;
  throw data_error(path + " line " + std::to_string(r.line_of(file_row(later))) + ": userId " +
                   std::to_string(vocab.user_ids[static_cast<size_t>(user[later])]) + " rated movieId " +
                   std::to_string(movie_id[later]) + " already on line " + std::to_string(r.line_of(file_row(earlier))) +
                   " (one rating per user and movie: keep one, e.g. the latest)");
}

// The inner join of the ratings with the movies, in place: the ratings whose movie exists move
// to the front of `r`'s columns, in order.
struct Joined {
  size_t kept = 0;
  std::vector<std::int32_t> item_of_row;  // each kept rating's candidate item
  std::vector<char> item_used;            // by candidate: some rating kept it
  std::int32_t max_user = 0;
  std::vector<size_t> dropped_rows;       // file rows whose movie is not in movies.csv
};

Joined inner_join(RatingColumns& r, const Candidates& candidates) {
  Joined j;
  j.item_of_row.resize(r.size());
  j.item_used.assign(candidates.title.size(), 0);
  for (size_t i = 0; i < r.size(); ++i) {
    std::int32_t c = candidates.movie_to_candidate.get(r.movie_id[i]);
    if (c < 0) {
      j.dropped_rows.push_back(i);
      continue;
    }
    j.item_used[static_cast<size_t>(c)] = 1;
    r.user_id[j.kept] = r.user_id[i];
    r.rating[j.kept] = r.rating[i];
    r.movie_id[j.kept] = r.movie_id[i];
    r.timestamp[j.kept] = r.timestamp[i];
    j.item_of_row[j.kept] = c;
    j.max_user = std::max(j.max_user, r.user_id[i]);
    ++j.kept;
  }
  return j;
}

// Item vocabulary: only items that have ratings, as pandas' merge leaves them. Returns each
// candidate's item row.
std::vector<std::int32_t> encode_items(const Candidates& candidates, const std::vector<char>& item_used,
                                       Vocabulary& vocab) {
  std::vector<std::int32_t> candidate_to_item(candidates.title.size(), 0);
  vocab.item_titles.push_back("#na#");
  vocab.item_movie_ids.push_back(-1);
  for (size_t c = 0; c < candidates.title.size(); ++c) {
    if (!item_used[c]) continue;
    candidate_to_item[c] = static_cast<std::int32_t>(vocab.item_titles.size());
    vocab.item_titles.push_back(*candidates.title[c]);
    vocab.item_movie_ids.push_back(candidates.movie_id[c]);
  }
  return candidate_to_item;
}

}  // namespace

EncodedRatings merge_and_encode(RawDataset&& raw, ItemKey key) {
  EncodedRatings out;
  Vocabulary& vocab = out.vocabulary;
  vocab.item_key = key;
  const Candidates candidates = distinct_items(raw.movies, key);

  RatingColumns& r = raw.ratings;
  if (r.timestamp.size() != r.size()) r.timestamp.assign(r.size(), 0), r.has_timestamps = false;
  const Joined joined = inner_join(r, candidates);
  const size_t kept = joined.kept;
  out.dropped_ratings = r.size() - kept;
  if (kept == 0)
    throw data_error(raw.ratings_path + ": no rating matches a movie in " + raw.movies_path);
  const std::vector<std::int32_t> candidate_to_item = encode_items(candidates, joined.item_used, vocab);
  const IdTable user_index = encode_users(r.user_id, kept, joined.max_user, vocab);

  out.user.resize(kept);
  out.item.resize(kept);
  for (size_t i = 0; i < kept; ++i) {
    out.user[i] = user_index.get(r.user_id[i]);
    out.item[i] = candidate_to_item[static_cast<size_t>(joined.item_of_row[i])];
  }
  refuse_repeated_pairs(out.user, r.movie_id, kept, vocab.user_rows(), joined.dropped_rows, r, raw.ratings_path, vocab);
  std::vector<std::int32_t>().swap(r.user_id);  // ({} would keep the capacity)
  auto keep = [kept](auto& column) {
    column.resize(kept);
    column.shrink_to_fit();
    return std::move(column);
  };
  out.rating = keep(r.rating);
  out.movie_id = keep(r.movie_id);
  out.timestamp = keep(r.timestamp);
  out.has_timestamps = r.has_timestamps;
  return out;
}

}  // namespace collab
