#include "pipeline/rank_local.h"

#include <sys/stat.h>

#include <algorithm>

#include "data/dataset_install.h"
#include "data/parsed_cache.h"
#include "support/error.h"
#include "support/parallel.h"
#include "train/split_membership.h"

namespace collab {
namespace {

bool regular_file(const std::string& path) {
  struct stat st {};
  return ::stat(path.c_str(), &st) == 0 && S_ISREG(st.st_mode);
}

// The cache of the request's files, made by loading them whole when it is missing or stale; the
// data so loaded when the cache cannot be written (nothing else left to stream from). Warns of
// nothing: rank 0 says what was dropped, once.
std::unique_ptr<ParsedCacheStream> open_cache(const DataSource& source, EncodedRatings& loaded) {
  if (!source.install_dir.empty()) ensure_dataset(source.format, source.install_dir);
  const std::string key = parsed_cache_key(source);
  if (auto cache = ParsedCacheStream::open(source, key)) return cache;
  loaded = parse_data_source(source);  // writes the cache
  auto cache = ParsedCacheStream::open(source, key);
  if (cache) loaded = EncodedRatings();  // streamed instead: give the memory back
  return cache;
}

// Each user's and item's training ratings; the split's membership hash on the way.
void count_training(const RankLocalData& d, std::vector<size_t>& per_user, std::vector<size_t>& per_item,
                    SplitMembershipHash& membership) {
  d.cache->for_each_chunk([&](size_t first, size_t n, const std::int32_t* user, const std::int32_t* item,
                              const float* rating) {
    const std::uint8_t* role = d.roles.data() + first;
    membership.add(user, item, rating, role, n);
    for (size_t k = 0; k < n; ++k)
      if (role[k] == kTrains) {
        ++per_user[static_cast<size_t>(user[k])];
        ++per_item[static_cast<size_t>(item[k])];
      }
  });
}

// Every stratum's training ratings.
void count_strata(const RankLocalData& d) {
  ShardLayout& layout = *d.layout;
  d.cache->for_each_chunk([&](size_t first, size_t n, const std::int32_t* user, const std::int32_t* item,
                              const float*) {
    for (size_t k = 0; k < n; ++k)
      if (d.roles[first + k] == kTrains) layout.count_training(user + k, item + k, 1);
  });
}

// The rank's own users' ratings, read off the cache again at each call (EngineSetup::own_ratings).
std::function<void(const EngineSetup::RatingFn&)> own_ratings(std::shared_ptr<const RankLocalData> d, int rank) {
  return [d = std::move(d), rank](const EngineSetup::RatingFn& fn) {
    d->cache->for_each_chunk([&](size_t first, size_t n, const std::int32_t* user, const std::int32_t* item,
                                 const float* rating) {
      for (size_t k = 0; k < n; ++k)
        if (d->layout->user_block[static_cast<size_t>(user[k])] == rank)
          fn(user[k], item[k], rating[k], d->roles[first + k] == kTrains);
    });
  };
}

}  // namespace

bool loads_rank_local(const TrainingRequest& r) { return r.communicator && loads_rank_local(r, r.communicator->world_size()); }

bool loads_rank_local(const TrainingRequest& r, int ranks) {
  return ranks > 1 && resolved_dist_mode(r.options) == DistMode::shard && !r.filters.any() &&
         r.split.kind == SplitKind::random && r.split.test_pct == 0 &&
         (!r.source.install_dir.empty() || (regular_file(r.source.ratings_path) && regular_file(r.source.movies_path)));
}

void make_parsed_cache(const DataSource& source) {
  EncodedRatings loaded;
  open_cache(source, loaded);
}

std::unique_ptr<PreparedTraining> prepare_rank_local_training(const TrainingRequest& request) {
  EncodedRatings loaded;
  auto data = std::make_shared<RankLocalData>();
  data->cache = open_cache(request.source, loaded);
  const bool lead = request.communicator->rank() == 0;
  if (lead) warn_dropped_ratings(request.source, data->cache ? data->cache->dropped_ratings() : loaded.dropped_ratings);
  if (!data->cache) return prepare_training_from(request, std::move(loaded));
  const TrainOptions& t = request.options;
  data->ratings = data->cache->size();
  data->roles = random_split_roles(data->ratings, request.split.valid_pct, t.seed);
  data->valid = static_cast<size_t>(std::count(data->roles.begin(), data->roles.end(), kValidates));
  data->train = data->ratings - data->valid;
  check_split_sizes(request.split, data->ratings, data->train, data->valid);

  const Vocabulary& v = data->cache->vocabulary();
  std::vector<size_t> per_item(v.item_rows(), 0);
  data->trained_by_user.assign(v.user_rows(), 0);
  SplitMembershipHash membership;
  count_training(*data, data->trained_by_user, per_item, membership);
  const int rank = request.communicator->rank();
  data->layout = std::make_shared<ShardLayout>(
      shard_layout(data->trained_by_user, per_item, request.communicator->world_size(), t.seed));
  data->layout->valid_total = data->valid;
  count_strata(*data);

  EncodedRatings vocabulary_only;
  vocabulary_only.vocabulary = data->cache->vocabulary();
  vocabulary_only.has_timestamps = data->cache->has_timestamps();
  vocabulary_only.dropped_ratings = data->cache->dropped_ratings();
  auto run = std::make_unique<PreparedTraining>();
  run->split_membership = membership.hex();
  run->rank_local = data;
  run->setup.shard_layout = data->layout;
  run->setup.own_ratings = own_ratings(data, rank);
  return prepare_training_on(request, std::move(vocabulary_only), TrainValidSplit(), std::move(run));
}

void index_rank_local_training_rows(const RankLocalData& d, SavedModel& m) {
  const size_t users = d.trained_by_user.size();
  m.rated_offsets.assign(users + 1, 0);
  for (size_t u = 0; u < users; ++u)
    m.rated_offsets[u + 1] = m.rated_offsets[u] + static_cast<std::int64_t>(d.trained_by_user[u]);
  m.rated_items.assign(d.train, 0);
  std::vector<std::int64_t> next(m.rated_offsets.begin(), m.rated_offsets.end() - 1);
  d.cache->for_each_chunk([&](size_t first, size_t n, const std::int32_t* user, const std::int32_t* item,
                              const float*) {
    for (size_t k = 0; k < n; ++k)
      if (d.roles[first + k] == kTrains) m.rated_items[static_cast<size_t>(next[static_cast<size_t>(user[k])]++)] = item[k];
  });
  // Each user's items in increasing order, as index_training_rows lists them.
  parallel_ranges(users, 4096, [&](size_t from, size_t to) {
    for (size_t u = from; u < to; ++u)
      std::sort(m.rated_items.begin() + m.rated_offsets[u], m.rated_items.begin() + m.rated_offsets[u + 1]);
  });
}

}  // namespace collab
