#include "cpu/sharded_state.h"

#include <algorithm>
#include <cmath>
#include <cstdio>
#include <cstring>
#include <numeric>

#include "cpu/block_negatives.h"
#include "cpu/exact_adam.h"
#include "cpu/shard_checkpoint.h"
#include "cpu/shard_weights.h"
#include "support/error.h"
#include "support/random.h"
#include "train/distributed.h"

namespace collab {
namespace {

constexpr std::uint64_t kValidationNegatives = 0x5348'4E56'0000'0000;  // "SHNV": validation's negatives

// The distinct rows of a block's validation triples, in increasing order.
std::vector<std::int32_t> distinct_rows(const std::vector<BprTriple>& triples) {
  std::vector<std::int32_t> rows;
  rows.reserve(3 * triples.size());
  for (const BprTriple& t : triples) rows.insert(rows.end(), {t.user, t.positive, t.negative});
  std::sort(rows.begin(), rows.end());
  rows.erase(std::unique(rows.begin(), rows.end()), rows.end());
  return rows;
}

// The rank's RowStore: its users, then room for the largest item block.
ModelShape local_shape(ModelShape shape, size_t users, size_t items) {
  shape.n_users = static_cast<std::int64_t>(users);
  shape.n_items = static_cast<std::int64_t>(items);
  return shape;
}

// Each stratum's distinct rows, in increasing order: what its validation reads.
std::vector<std::int32_t> distinct_rows(const std::vector<Example>& ratings) {
  std::vector<std::int32_t> rows;
  rows.reserve(2 * ratings.size());
  for (const Example& e : ratings) {
    rows.push_back(e.user_row);
    rows.push_back(e.item_row);
  }
  std::sort(rows.begin(), rows.end());
  rows.erase(std::unique(rows.begin(), rows.end()), rows.end());
  return rows;
}

// The setup's layout, or the one its whole split in memory gives.
ShardLayout layout_for(const EngineSetup& s, int ranks) {
  if (s.shard_layout) return *s.shard_layout;
  return shard_layout(static_cast<size_t>(s.shape.n_users), static_cast<size_t>(s.shape.n_items), s.data->train,
                      s.data->valid.size(), ranks, s.options.seed);
}

}  // namespace

ShardedState::ShardedState(const EngineSetup& s)
    : comm_(*s.communicator),
      rank_(comm_.rank()),
      ranks_(comm_.world_size()),
      threads_(s.options.threads > 0 ? s.options.threads : 1),
      folder_lock_(s.checkpoint_dir.empty() ? nullptr : lock_shard_folder(s.checkpoint_dir, ranks_, rank_)),
      shape_(s.shape),
      options_(s.options),
      plan_(layout_for(s, ranks_)),
      users_(plan_.users_of(rank_).size()),
      local_batch_(local_batch_size(static_cast<size_t>(s.options.batch_size), rank_, ranks_)),
      store_(local_shape(s.shape, users_, plan_.most_items()),
             shard_initial_weights(s.initial, s.shape, plan_.users_of(rank_), plan_.items_of(rank_), plan_.most_items())),
      pool_(threads_, flush_denormals_on_this_thread),
      policy_(UpdateContext{store_, pool_, step_, threads_}),
      valid_total_(plan_.valid_total()),
      checkpoint_dir_(s.checkpoint_dir),
      checkpoint_key_(s.checkpoint_key) {
  if (s.own_ratings) {
    plan_.strata(s.own_ratings, rank_, train_, valid_);
  } else {
    train_ = plan_.strata(s.data->train, rank_);
    valid_ = plan_.strata(s.data->valid, rank_);
  }
  if (options_.loss == Loss::bpr) {
    start_bpr();
  } else {
    gradients_.size_for(local_batch_, store_.stride());
    for (const auto& stratum : valid_) valid_rows_.push_back(distinct_rows(stratum));
  }
  flush_denormals_on_this_thread();
}

void ShardedState::start_bpr() {
  std::vector<size_t> block_items;
  for (int b = 0; b < ranks_; ++b) block_items.push_back(plan_.items_of(b).size());
  negatives_ = std::make_unique<BlockNegatives>(train_, block_items, users_, options_, comm_);
  // Room for a step's triples: three rows each (size_for counts two a rating).
  const size_t most = local_batch_ * static_cast<size_t>(options_.negatives);
  gradients_.size_for((3 * most + 1) / 2, store_.stride());
  // One process divides a step's gradient by its triples; a rank, which does not know how many
  // the others drew, by how many a global step makes on average.
  const double per_step = static_cast<double>(options_.batch_size) * negatives_->triples_per_rating();
  bpr_scale_ = per_step > 0 ? static_cast<float>(1.0 / per_step) : 1.0f;
  for (int b = 0; b < ranks_; ++b) {
    Rng rng(options_.seed, kValidationNegatives + static_cast<std::uint64_t>(rank_ * ranks_ + b));
    valid_triples_.push_back(negatives_->validation_triples(valid_[static_cast<size_t>(b)], b, rng));
    valid_rows_.push_back(distinct_rows(valid_triples_.back()));
  }
  if (rank_ == 0 && negatives_->skipped_users() > 0)
    std::fprintf(stderr, "collab: note: %zu users have no positive training interaction, or no item of an item block "
                 "left to draw as a negative; BPR skips them there\n", negatives_->skipped_users());
}

ShardedState::~ShardedState() = default;

void ShardedState::move_to_shift(int shift) {
  if (shift == shift_) return;
  const int held = held_block(), wanted = plan_.item_block(rank_, shift);
  const int to = (held - shift + ranks_) % ranks_, from = (wanted - shift_ + ranks_) % ranks_;
  const size_t out_rows = plan_.items_of(held).size(), in_rows = plan_.items_of(wanted).size();
  const size_t row_bytes = 3 * store_.stride() * sizeof(float);
  clocks_out_.resize(out_rows);
  for (size_t j = 0; j < out_rows; ++j) clocks_out_[j] = store_.states[users_ + j].clock;
  incoming_.resize(in_rows * 3 * store_.stride());
  clocks_in_.resize(in_rows);
  comm_.exchange(store_.param(users_), out_rows * row_bytes, to, incoming_.data(), in_rows * row_bytes, from);
  comm_.exchange(clocks_out_.data(), out_rows * sizeof(std::int64_t), to, clocks_in_.data(),
                 in_rows * sizeof(std::int64_t), from);
  std::memcpy(store_.param(users_), incoming_.data(), in_rows * row_bytes);
  for (size_t j = 0; j < in_rows; ++j) store_.states[users_ + j] = RowState{clocks_in_[j], 0, 0};
  shift_ = shift;
}

ForwardModel ShardedState::forward_model() const {
  return {store_.factors(), shape_.has_bias(), shape_.has_range(), shape_.y_low, shape_.y_high - shape_.y_low,
          store_.param(0), 3 * store_.stride(), gradients_.gradients(), store_.stride()};
}

void ShardedState::apply(const StepHyper& hyper, int threads) {
  ++step_;
  policy_.apply(gradients_, as_float(adam_step_constants(hyper, step_, options_)), threads);
}

LossSum ShardedState::train_step(const Example* batch, size_t bs, const StepHyper& hyper, Rng& negatives) {
  const LossSum loss = negatives_ ? bpr_step(batch, bs, negatives) : rating_step(batch, bs);
  apply(hyper, threads_);
  return loss;
}

LossSum ShardedState::rating_step(const Example* batch, size_t bs) {
  list_batch_rows(batch, bs, store_.states, lister_, gradients_, policy_);
  policy_.before_forward(gradients_, threads_);
  dz_.resize(bs);
  const ForwardModel model = forward_model();
  // d loss / d score over the global batch (every rank's share of --bs), as one process divides.
  const double sum = batch_errors(batch, bs, static_cast<size_t>(options_.batch_size), model, true, dz_.data(), nullptr);
  batch_gradients(batch, gradients_.slots.data(), bs, model, true, dz_.data());
  return {sum, static_cast<double>(bs)};
}

LossSum ShardedState::bpr_step(const Example* batch, size_t bs, Rng& negatives) {
  triples_.clear();
  negatives_->draw_triples(batch, bs, held_block(), negatives, triples_);
  list_triple_rows(triples_, store_.states, lister_, gradients_, policy_, triple_slots_);
  policy_.before_forward(gradients_, threads_);
  const double sum = bpr_triples_pass(store_, gradients_, triples_, triple_slots_, bpr_scale_, true, scores_);
  return {sum, static_cast<double>(triples_.size())};
}

LossSum ShardedState::idle_step(const StepHyper& hyper) {
  gradients_.rows.clear();
  apply(hyper, 1);
  return {};
}

LossSum ShardedState::validation_of_held_block() {
  const auto block = static_cast<size_t>(held_block());
  policy_.catch_up(valid_rows_[block]);
  if (negatives_) return {bpr_triples_loss(store_, valid_triples_[block]), static_cast<double>(valid_triples_[block].size())};
  const std::vector<Example>& ratings = valid_[block];
  constexpr size_t kChunk = size_t{1} << 16;
  std::vector<double> squares;
  LossSum loss{0, static_cast<double>(ratings.size())};
  for (size_t first = 0; first < ratings.size(); first += kChunk) {
    squares.resize(std::min(kChunk, ratings.size() - first));
    squared_errors(ratings.data() + first, squares.size(), forward_model(), shape_, squares.data());
    for (double v : squares) loss.sum += v;
  }
  return loss;
}

double ShardedState::validation_loss() {
  if (valid_total_ == 0) return std::nan("");
  std::vector<LossSum> by_block(static_cast<size_t>(ranks_));
  for (int j = 0; j < ranks_; ++j) {
    if (j > 0) move_to_shift((shift_ + 1) % ranks_);
    by_block[static_cast<size_t>(held_block())] = validation_of_held_block();
  }
  LossSum mine;
  for (const LossSum& v : by_block) mine.sum += v.sum, mine.count += v.count;  // in block order, whatever order they came in
  std::vector<LossSum> all(static_cast<size_t>(ranks_));
  comm_.allgather_bytes(&mine, sizeof mine, all.data());
  LossSum total;
  for (const LossSum& v : all) total.sum += v.sum, total.count += v.count;
  return total.count > 0 ? total.sum / total.count : std::nan("");
}

void ShardedState::save(const EpochRecord& record, double smooth_sum, long smooth_count) {
  history_.push_back(record);
  if (checkpoint_dir_.empty()) return;
  const size_t rows = users_ + plan_.items_of(held_block()).size();
  const SparseUpdate::History adam = policy_.history();
  ShardSnapshot s;
  s.key = checkpoint_key_;
  s.ranks = ranks_;
  s.rank = rank_;
  s.epochs_done = epochs_done_;
  s.shift = shift_;
  s.step = step_;
  s.smooth_sum = smooth_sum;
  s.smooth_count = smooth_count;
  s.history = history_;
  s.log_beta1 = adam.log_beta1;
  s.log_decay = adam.log_decay;
  s.last_constants = adam.last_constants;
  s.row_count = rows;
  s.row_floats = 3 * store_.stride();
  std::vector<std::int64_t> clocks(rows);
  for (size_t r = 0; r < rows; ++r) clocks[r] = store_.states[r].clock;
  save_shard(checkpoint_dir_, s, store_.param(0), clocks.data());
  comm_.barrier();  // every rank has this epoch's shard: the one before may go
  remove_older_shards(checkpoint_dir_, ranks_, rank_, epochs_done_);
}

void ShardedState::restore(const ShardSnapshot& s) {
  const size_t rows = users_ + plan_.items_of(plan_.item_block(rank_, s.shift)).size();
  if (s.key != checkpoint_key_)
    throw data_error("--checkpoint " + checkpoint_dir_ + " holds shards of another run (other options, data or "
                     "split): remove them or choose another folder");
  if (s.row_floats != 3 * store_.stride() || s.row_count != rows)
    throw data_error("--checkpoint " + checkpoint_dir_ + ": a shard's rows do not fit this run");
  step_ = s.step;
  shift_ = s.shift;
  epochs_done_ = s.epochs_done;
  history_ = s.history;
  smooth_sum_ = s.smooth_sum;
  smooth_count_ = static_cast<long>(s.smooth_count);
  policy_.restore({s.log_beta1, s.log_decay, s.last_constants});
  std::memcpy(store_.param(0), s.rows.data(), s.rows.size() * sizeof(float));
  for (size_t r = 0; r < rows; ++r) store_.states[r] = RowState{s.clocks[r], 0, 0};
}

std::vector<EpochRecord> ShardedState::resume() {
  if (checkpoint_dir_.empty()) return {};
  // The latest epoch every rank has; each rank says whether it could resume from it, so that one
  // rank's unreadable shard stops them all with its reason, not with a timeout.
  int mine = 0;
  std::string failure;
  try {
    mine = latest_shard_epoch(checkpoint_dir_, ranks_, rank_);
  } catch (const Error& e) {
    failure = e.what();
  }
  std::vector<int> latest(static_cast<size_t>(ranks_));
  comm_.allgather_bytes(&mine, sizeof mine, latest.data());
  const int epoch = *std::min_element(latest.begin(), latest.end());
  if (failure.empty() && epoch > 0) {
    try {
      restore(load_shard(checkpoint_dir_, ranks_, rank_, std::min(epoch, options_.epochs)));
    } catch (const Error& e) {
      failure = e.what();
    }
  }
  int failed = failure.empty() ? 0 : 1;
  std::vector<int> all(static_cast<size_t>(ranks_));
  comm_.allgather_bytes(&failed, sizeof failed, all.data());
  if (!failure.empty()) throw data_error(failure);
  for (int r = 0; r < ranks_; ++r)
    if (all[static_cast<size_t>(r)]) throw data_error("rank " + std::to_string(r) + " could not resume from --checkpoint " + checkpoint_dir_ + " (its message says why)");
  return history_;
}

void ShardedState::catch_up_held_rows() {
  std::vector<std::int32_t> rows(users_ + plan_.items_of(held_block()).size());
  std::iota(rows.begin(), rows.end(), 0);
  policy_.catch_up(rows);
}

std::vector<float> ShardedState::packed_rows() {
  const size_t width = packed_width(shape_), rows = users_ + plan_.items_of(held_block()).size();
  std::vector<float> packed(rows * width);
  for (size_t r = 0; r < rows; ++r) std::memcpy(packed.data() + r * width, store_.param(r), width * sizeof(float));
  return packed;
}

void ShardedState::release_ratings() {
  negatives_.reset();  // it reads the strata
  std::vector<std::vector<BprTriple>>().swap(valid_triples_);
  std::vector<std::vector<Example>>().swap(train_);
  std::vector<std::vector<Example>>().swap(valid_);
  std::vector<std::vector<std::int32_t>>().swap(valid_rows_);
}

Weights ShardedState::gather_weights() {
  catch_up_held_rows();
  const std::vector<float> mine = packed_rows();
  if (rank_ != 0) {
    comm_.send(mine.data(), mine.size() * sizeof(float), 0);
    return {};
  }
  Weights tables = empty_tables(shape_);
  place_rows(tables, shape_, mine.data(), plan_.users_of(0), plan_.items_of(held_block()));
  std::vector<float> theirs;
  for (int r = 1; r < ranks_; ++r) {
    const std::vector<std::int32_t>& users = plan_.users_of(r);
    const std::vector<std::int32_t>& items = plan_.items_of(plan_.item_block(r, shift_));
    theirs.resize((users.size() + items.size()) * packed_width(shape_));
    comm_.receive(theirs.data(), theirs.size() * sizeof(float), r);
    place_rows(tables, shape_, theirs.data(), users, items);
  }
  return tables;
}

}  // namespace collab
