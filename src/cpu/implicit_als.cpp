#include "cpu/implicit_als.h"

#include <algorithm>
#include <atomic>
#include <cmath>
#include <cstdio>
#include <cstring>
#include <thread>
#include <type_traits>

#include "cpu/als_kernels.h"
#include "cpu/row_store.h"
#include "support/cores.h"
#include "train/distributed.h"
#include "train/interactions.h"

namespace collab {
namespace {

FloatBuffer on_huge_pages(const std::vector<float>& values) {
  FloatBuffer b;
  b.assign_zero(values.size());
  std::copy(values.begin(), values.end(), b.get());
  return b;
}

class ImplicitAlsEngine final : public TrainingEngine {
 public:
  explicit ImplicitAlsEngine(const EngineSetup& s)
      : shape_(s.shape),
        options_(s.options),
        k_(static_cast<size_t>(s.shape.factors)),
        x_(interactions_of(s.data->train, static_cast<size_t>(s.shape.n_users), static_cast<size_t>(s.shape.n_items), s.options)),
        users_(on_huge_pages(s.initial.get(tables::user_factors).values)),
        items_(on_huge_pages(s.initial.get(tables::item_factors).values)),
        comm_(s.communicator && s.communicator->world_size() > 1 ? s.communicator : nullptr),
        // Ranks on one machine share its cores: one thread each unless --threads says.
        threads_(s.options.threads > 0 ? s.options.threads : comm_ ? 1 : usable_cores()) {
    for (size_t u = 1; u < x_.user_rows; ++u)
      if (x_.count_of_user(u) > 0) solved_users_.push_back(static_cast<std::int32_t>(u));
    solved_items_ = x_.trained_items;
    for (float r : x_.by_user_rating) user_confidence_.push_back(confidence(r));
    for (float r : x_.by_item_rating) item_confidence_.push_back(confidence(r));
    if (x_.users_without_positives > 0)
      std::fprintf(stderr, "collab: note: %zu users have no positive training interaction (--positive-rating %g); "
                   "ALS skips them and leaves their factors as drawn\n", x_.users_without_positives,
                   static_cast<double>(options_.positive_rating));
  }

  bool fits_by_passes() const override { return true; }

  // Users, then items; returns the weighted squared error per cell after the pass (plus the
  // regularisation), from the items' half.
  double train_pass() override {
    half_pass(users_, items_, solved_items_, solved_users_, x_.by_user_offset, x_.by_user_item, user_confidence_, nullptr);
    double loss = 0;
    half_pass(items_, users_, solved_users_, solved_items_, x_.by_item_offset, x_.by_item_user, item_confidence_, &loss);
    const double cells = static_cast<double>(solved_users_.size()) * static_cast<double>(solved_items_.size());
    return cells > 0 ? loss / cells : 0.0;
  }

  std::vector<float> train_batches(const std::int32_t*, size_t, size_t, const StepHyper*,
                                   const std::atomic<bool>*) override {
    return {};
  }
  double validation_mse() override { return std::nan(""); }  // a ranking model: eval's metrics judge it
  Weights weights() const override {
    Weights w;
    auto values = [&](const FloatBuffer& t, std::int64_t rows) {
      return std::vector<float>(t.get(), t.get() + static_cast<size_t>(rows) * k_);
    };
    w.tensors.push_back({tables::user_factors, {shape_.n_users, shape_.factors}, values(users_, shape_.n_users)});
    w.tensors.push_back({tables::item_factors, {shape_.n_items, shape_.factors}, values(items_, shape_.n_items)});
    return w;
  }
  std::string device_name() const override {
    const std::string threads = std::to_string(threads_) + (threads_ == 1 ? " thread" : " threads");
    if (!comm_) return "cpu (implicit ALS, " + threads + ")";
    return "cpu (implicit ALS, solves divided over " + std::to_string(comm_->world_size()) + " ranks, " + threads +
           " each)";
  }

 private:
  float confidence(float rating) const { return static_cast<float>(1.0 + options_.alpha * rating); }

  // Solves every row of `rows` in `mine` against `other`'s rows `other_rows`. With `loss`, also
  // the objective's share of each solved row (its cells against every other row, plus the
  // regularisation of both sides), summed in row order.
  void half_pass(FloatBuffer& mine_table, const FloatBuffer& other_table, const std::vector<std::int32_t>& other_rows,
                 const std::vector<std::int32_t>& rows, const std::vector<std::int64_t>& offset,
                 const std::vector<std::int32_t>& index, const std::vector<float>& conf, double* loss) {
    const size_t k = k_;
    float* mine = mine_table.get();
    const float* other = other_table.get();
    const auto lambda = static_cast<float>(options_.wd);
    // Y^T Y over the other side's trained rows, in double, then lambda on the diagonal: a
    // partial sum per fixed block of rows, on any thread, added in block order, so that the
    // bits do not depend on the thread count.
    const size_t blocks = (other_rows.size() + kGramBlock - 1) / kGramBlock;
    std::vector<double> partial(blocks * k * k, 0.0);
    on_threads(blocks, [&](size_t b) {
      const size_t first = b * kGramBlock, count = std::min(kGramBlock, other_rows.size() - first);
      add_outer_products(other, other_rows.data() + first, count, k, partial.data() + b * k * k);
    });
    std::vector<double> g(k * k, 0.0);
    for (size_t b = 0; b < blocks; ++b)
      for (size_t c = 0; c < k * k; ++c) g[c] += partial[b * k * k + c];
    std::vector<float> gram(k * k), plain(k * k);
    for (size_t a = 0; a < k; ++a)
      for (size_t b = a; b < k; ++b) plain[a * k + b] = plain[b * k + a] = static_cast<float>(g[a * k + b]);
    gram = plain;
    for (size_t a = 0; a < k; ++a) gram[a * k + a] += lambda;

    std::vector<double> row_loss(loss ? rows.size() : 0);
    scratch_.resize(static_cast<size_t>(threads_));
    const std::vector<size_t> shares = shares_by_positives(rows, offset);
    const size_t first = shares[rank()], last = shares[rank() + 1];
    const std::vector<size_t> chunks = chunks_by_positives(rows, offset, first, last);
    on_threads(chunks.size() - 1, [&](size_t chunk, int thread) {
      std::vector<float>& mine_scratch = scratch_[static_cast<size_t>(thread)];
      for (size_t r = chunks[chunk]; r < chunks[chunk + 1]; ++r) {
        const auto row = static_cast<size_t>(rows[r]);
        const auto from = static_cast<size_t>(offset[row]), n = static_cast<size_t>(offset[row + 1]) - from;
        if (mine_scratch.size() < (3 + n) * k) mine_scratch.resize((3 + n) * k);
        float* s = mine_scratch.data();
        float* x = mine + row * k;
        double positives = 0;
        conjugate_gradient_row(gram.data(), other, k, index.data() + from, conf.data() + from, n,
                               options_.cg_steps, x, s, KernelPath::best, loss ? &positives : nullptr);
        if (!loss) continue;
        // x^T (Y^T Y) x, the cells' share before their positives'.
        best_gram_times(plain.data(), x, k, s);
        row_loss[r] = positives + best_dot(x, s, k);
      }
    });
    if (comm_) share_solved_rows(mine, rows, shares, loss ? &row_loss : nullptr);
    if (!loss) return;
    double sum = 0;
    for (double l : row_loss) sum += l;
    for (auto row : rows) sum += lambda * plain_dot(mine + static_cast<size_t>(row) * k, mine + static_cast<size_t>(row) * k, k);
    for (auto row : other_rows)
      sum += lambda * plain_dot(other + static_cast<size_t>(row) * k, other + static_cast<size_t>(row) * k, k);
    *loss = sum;
  }

  static constexpr size_t kGramBlock = 2048, kChunksPerThread = 64;
  static constexpr double kRowWeight = 32;  // a row's Gram products, in positives' time

  // Runs task(t) for t in [0, count) over threads_ threads, each task once, in any order.
  template <class Task>
  void on_threads(size_t count, Task task) {
    std::atomic<size_t> next{0};
    auto work = [&](int thread) {
      for (size_t t; (t = next.fetch_add(1)) < count;) {
        if constexpr (std::is_invocable_v<Task, size_t, int>) task(t, thread);
        else task(t);
      }
    };
    std::vector<std::thread> helpers;
    for (int t = 1; t < threads_; ++t) helpers.emplace_back(work, t);
    work(0);
    for (auto& h : helpers) h.join();
  }

  // A row's work, in positives' time: its positives plus a fixed share for its Gram products.
  static double weight(const std::vector<std::int32_t>& rows, const std::vector<std::int64_t>& offset, size_t r) {
    const auto row = static_cast<size_t>(rows[r]);
    return static_cast<double>(offset[row + 1] - offset[row]) + kRowWeight;
  }

  // Chunk boundaries over rows[first, last) (first at `first`, last at `last`) for the threads to
  // take in turn: about kChunksPerThread a thread by weight, so that no chunk of the most
  // popular rows is left to one thread at the end. Rows are solved independently: the chunks do
  // not change a bit.
  std::vector<size_t> chunks_by_positives(const std::vector<std::int32_t>& rows, const std::vector<std::int64_t>& offset,
                                          size_t first, size_t last) const {
    double total = 0;
    for (size_t r = first; r < last; ++r) total += weight(rows, offset, r);
    const double target = total / static_cast<double>(kChunksPerThread * threads_);
    std::vector<size_t> bounds{first};
    double in_chunk = 0;
    for (size_t r = first; r < last; ++r) {
      in_chunk += weight(rows, offset, r);
      if (in_chunk >= target) bounds.push_back(r + 1), in_chunk = 0;
    }
    if (bounds.back() != last) bounds.push_back(last);
    return bounds;
  }

  // Across ranks, each solves one contiguous share of `rows`, cut where the running weight
  // crosses r/R of the total (the same cuts on every rank); in one process, all of them.
  size_t rank() const { return comm_ ? static_cast<size_t>(comm_->rank()) : 0; }
  std::vector<size_t> shares_by_positives(const std::vector<std::int32_t>& rows,
                                          const std::vector<std::int64_t>& offset) const {
    const size_t ranks = comm_ ? static_cast<size_t>(comm_->world_size()) : 1;
    double total = 0;
    for (size_t r = 0; r < rows.size(); ++r) total += weight(rows, offset, r);
    std::vector<size_t> cuts{0};
    double running = 0;
    for (size_t r = 0; r < rows.size() && cuts.size() < ranks; ++r) {
      running += weight(rows, offset, r);
      while (cuts.size() < ranks && running >= total * static_cast<double>(cuts.size()) / static_cast<double>(ranks))
        cuts.push_back(r + 1);
    }
    while (cuts.size() < ranks + 1) cuts.push_back(rows.size());
    return cuts;
  }

  // Every rank's solved rows (and, with row_loss, their shares of the objective) to every rank,
  // so that each holds the whole table the next half-pass reads: one allgather of the largest
  // share's size.
  void share_solved_rows(float* table, const std::vector<std::int32_t>& rows, const std::vector<size_t>& shares,
                         std::vector<double>* row_loss) {
    const size_t ranks = shares.size() - 1, k = k_;
    size_t most = 0;
    for (size_t r = 0; r < ranks; ++r) most = std::max(most, shares[r + 1] - shares[r]);
    const size_t width = k * sizeof(float) + (row_loss ? sizeof(double) : 0);  // bytes a row
    std::vector<char> mine(most * width), all(ranks * most * width);
    for (size_t r = shares[rank()]; r < shares[rank() + 1]; ++r) {
      char* at = mine.data() + (r - shares[rank()]) * width;
      std::memcpy(at, table + static_cast<size_t>(rows[r]) * k, k * sizeof(float));
      if (row_loss) std::memcpy(at + k * sizeof(float), &(*row_loss)[r], sizeof(double));
    }
    comm_->allgather_bytes(mine.data(), mine.size(), all.data());
    for (size_t from = 0; from < ranks; ++from)
      for (size_t r = shares[from]; r < shares[from + 1]; ++r) {
        const char* at = all.data() + (from * most + r - shares[from]) * width;
        std::memcpy(table + static_cast<size_t>(rows[r]) * k, at, k * sizeof(float));
        if (row_loss) std::memcpy(&(*row_loss)[r], at + k * sizeof(float), sizeof(double));
      }
  }

  ModelShape shape_;
  TrainOptions options_;
  size_t k_;
  Interactions x_;
  // [rows, k], on 2 MiB pages where the kernel allows: a half-pass reads the other side's rows
  // in an order no prefetcher foresees, and with 4 KiB pages nearly each of them missed the TLB.
  FloatBuffer users_, items_;
  std::vector<std::int32_t> solved_users_, solved_items_;
  std::vector<float> user_confidence_, item_confidence_;  // beside x_'s by-user and by-item lists
  Communicator* comm_;  // several ranks: each solves its share of each half-pass's rows
  int threads_;
  // Per thread: a row's conjugate-gradient vectors and its positives' factors gathered, kept
  // from pass to pass (the most popular item's rows take megabytes).
  std::vector<std::vector<float>> scratch_;
};

}  // namespace

std::unique_ptr<TrainingEngine> make_implicit_als_engine(const EngineSetup& setup) {
  return std::make_unique<ImplicitAlsEngine>(setup);
}

}  // namespace collab
