// How the CPU engine's modes update the rows, one policy per mode instead of branches on it. The
// engine (embedding_engine.cpp) is a template over these, so each step calls its mode's code
// directly. A policy sees a step in three moments:
//   begin(most_rows), listed(row, state)   while the batch's rows are collected;
//   before_forward(table, threads)          the rows brought up to date before the forward pass;
//   apply(table, step)   the seam: the batch's gradient table applied with this step's constants.
// and catch_up(rows) brings given rows up to date for validation or for reading the weights.
//
//   DenseExact:    every row, every step: fastai's Adam as written (tests hold the others to it).
//   DeferredExact: exact mode. A row a step does not touch is not updated then: it replays the
//                  missed steps, with the same arithmetic, when next read. The same bits as
//                  DenseExact, for a fraction of the memory traffic.
//   Sparse:        --optimizer sparse-adam. Adam only on the touched rows; a row is caught up in
//                  closed form (sparse_adam.h) before it is next read.
#pragma once

#include <algorithm>
#include <cmath>
#include <string>
#include <vector>

#include "cpu/exact_adam.h"
#include "cpu/gradient_table.h"
#include "cpu/row_store.h"
#include "cpu/sparse_adam.h"
#include "cpu/step_pool.h"

namespace collab {

// What every policy works on: the rows, the step count (steps applied so far) and the threads.
struct UpdateContext {
  RowStore& store;
  StepPool& pool;
  const std::int64_t& step;
  int max_threads;
};

class DenseExactUpdate {
 public:
  static constexpr bool kShareThreads = true;
  static constexpr bool kVectorForward = false;
  static constexpr bool kSortedRows = true;  // apply walks the spans between the batch's rows
  explicit DenseExactUpdate(UpdateContext c) : c_(c) {}
  std::string describe() const { return "every row every step"; }

  void begin(size_t) {}
  void listed(std::int32_t, const RowState&) {}
  void before_forward(GradientTable&, int) {}
  void apply(const GradientTable& g, const AdamStep<float>& step, int threads) {
    c_.pool.run(threads, [&](int part, int parts) { update_rows(g, step, part, parts); });
  }
  void catch_up(const std::vector<std::int32_t>&) {}

 private:
  // Thread `part` of `parts` updates its share of the rows; the full kernel on rows with a gradient.
  void update_rows(const GradientTable& g, const AdamStep<float>& c, int part, int parts) const {
    const RowStore& s = c_.store;
    const size_t first = s.rows() * static_cast<size_t>(part) / static_cast<size_t>(parts);
    const size_t last = s.rows() * static_cast<size_t>(part + 1) / static_cast<size_t>(parts);
    auto it = std::lower_bound(g.rows.begin(), g.rows.end(), static_cast<std::int32_t>(first));
    for (size_t row = first; row < last; ++row) {
      if (it != g.rows.end() && static_cast<size_t>(*it) == row) {
        const auto slot = static_cast<size_t>(it - g.rows.begin());
        adam_update(s.param(row), s.moment(row), s.rms(row), g.gradient(slot), s.stride(), c);
        ++it;
      } else {
        adam_update_no_grad(s.param(row), s.moment(row), s.rms(row), s.stride(), c);
      }
    }
  }
  UpdateContext c_;
};

class DeferredExactUpdate {
 public:
  static constexpr bool kShareThreads = true;
  static constexpr bool kVectorForward = false;
  static constexpr bool kSortedRows = false;
  explicit DeferredExactUpdate(UpdateContext c) : c_(c) {}
  std::string describe() const { return "deferred exact updates"; }

  void begin(size_t) {}
  void listed(std::int32_t, const RowState&) {}
  // The batch's rows replay the steps they missed, shared over the threads (each row on its own,
  // so the bits do not depend on the sharing).
  void before_forward(GradientTable& g, int threads) { replay(g.rows, threads); }
  void apply(const GradientTable& g, const AdamStep<float>& step, int) {
    step_constants_.push_back(step);
    RowStore& s = c_.store;
    for (size_t slot = 0; slot < g.rows.size(); ++slot) {
      const auto row = static_cast<size_t>(g.rows[slot]);
      adam_update(s.param(row), s.moment(row), s.rms(row), g.gradient(slot), s.stride(), step);
      s.states[row].clock = c_.step;
    }
  }
  void catch_up(const std::vector<std::int32_t>& rows) {
    if (c_.step > 0) replay(rows, c_.max_threads);
  }

 private:
  void replay(const std::vector<std::int32_t>& rows, int threads) {
    c_.pool.run(threads, [&](int part, int parts) {
      for (size_t r = static_cast<size_t>(part); r < rows.size(); r += static_cast<size_t>(parts))
        replay_row(static_cast<size_t>(rows[r]));
    });
  }
  // Replays the steps since the row's clock, up to the end of the latest step.
  void replay_row(size_t row) {
    RowStore& s = c_.store;
    const std::int64_t from = s.states[row].clock, now = c_.step;
    if (now <= from) return;
    adam_replay_no_grad(s.param(row), s.moment(row), s.rms(row), s.stride(), step_constants_.data() + from,
                        static_cast<size_t>(now - from));
    s.states[row].clock = now;
  }
  UpdateContext c_;
  std::vector<AdamStep<float>> step_constants_;  // step s at s - 1
};

class SparseUpdate {
 public:
  static constexpr bool kShareThreads = false;  // shares each step's rows and ratings instead (below)
  static constexpr bool kVectorForward = true;
  static constexpr bool kSortedRows = false;
  explicit SparseUpdate(UpdateContext c) : c_(c) {
    log_beta1_.push_back(0.0);
    log_decay_.push_back(0.0);
  }
  std::string describe() const { return "sparse updates"; }

  // Rows behind are noted while the batch is collected, while their state is at hand; their
  // factors are computed all at once, in whole vectors, then applied row by row.
  void begin(size_t most_rows) {
    const size_t capacity = (most_rows + kLanes - 1) / kLanes * kLanes;
    if (rows_.size() < capacity) {
      rows_.resize(capacity);
      for (auto* f : {&missed_count_, &missed_log_decay_, &missed_log_beta1_, &keep_, &m_scale_, &rms_scale_, &inv_b_, &eps_a_})
        f->resize(capacity);
    }
    behind_ = 0;
  }
  void listed(std::int32_t row, const RowState& state) {
    const auto now = static_cast<size_t>(c_.step), from = static_cast<size_t>(state.clock);
    if (from == now) return;
    rows_[behind_] = row;
    missed_count_[behind_] = static_cast<float>(now - from);
    missed_log_decay_[behind_] = static_cast<float>(log_decay_[now] - log_decay_[from]);
    missed_log_beta1_[behind_] = static_cast<float>(log_beta1_[now] - log_beta1_[from]);
    ++behind_;
  }
  void before_forward(GradientTable&, int threads) { finish(threads); }
  // Each row is updated on its own, so threads share the rows in ranges: the bits do not depend on
  // how many share them.
  void apply(const GradientTable& g, const AdamStep<float>& step, int threads) {
    log_beta1_.push_back(log_beta1_.back() + std::log(static_cast<double>(step.beta1)));
    log_decay_.push_back(log_decay_.back() + std::log(static_cast<double>(step.decay)));
    last_constants_ = step;
    const size_t n = g.rows.size();
    c_.pool.run(threads, [&](int part, int parts) {
      const size_t first = share(n, part, parts), last = share(n, part + 1, parts);
      sparse_adam_update(c_.store.table(), g.rows.data() + first, last - first, g.gradient(first), step);
      for (size_t r = first; r < last; ++r) c_.store.states[static_cast<size_t>(g.rows[r])].clock = c_.step;
    });
  }
  void catch_up(const std::vector<std::int32_t>& rows) {
    if (c_.step == 0) return;
    begin(rows.size());
    for (auto row : rows) listed(row, c_.store.states[static_cast<size_t>(row)]);
    finish(c_.max_threads);
  }

  // What the catch-up of a row needs to know of the steps so far: sharded training's checkpoints
  // carry it, since a resumed run catches up rows that missed steps before the restart.
  struct History {
    std::vector<double> log_beta1, log_decay;
    AdamStep<float> last_constants;
  };
  History history() const { return {log_beta1_, log_decay_, last_constants_}; }
  void restore(History h) {
    log_beta1_ = std::move(h.log_beta1);
    log_decay_ = std::move(h.log_decay);
    last_constants_ = h.last_constants;
  }

  // Part `part` of `parts`' start in n rows, on a whole vector of rows (the factors go eight rows
  // a vector; each row's do not depend on which vector it is in).
  static size_t share(size_t n, int part, int parts) {
    if (part >= parts) return n;
    return std::min(n, n * static_cast<size_t>(part) / static_cast<size_t>(parts) / kLanes * kLanes);
  }

 private:
  void finish(int threads) {
    const size_t behind = behind_;
    const size_t padded = (behind + kLanes - 1) / kLanes * kLanes;
    for (size_t r = behind; r < padded; ++r)  // whole vectors: the padding computes harmless factors
      missed_count_[r] = 1.0f, missed_log_decay_[r] = 0.0f, missed_log_beta1_[r] = 0.0f;
    c_.pool.run(threads, [&](int part, int parts) {
      const size_t first = share(behind, part, parts), last = share(behind, part + 1, parts);
      const size_t last_padded = part + 1 == parts ? padded : last;
      const CatchUpFactors factors{keep_.data() + first, m_scale_.data() + first, rms_scale_.data() + first,
                                   inv_b_.data() + first, eps_a_.data() + first};
      catch_up_factors(last_padded - first,
                       {missed_count_.data() + first, missed_log_decay_.data() + first, missed_log_beta1_.data() + first},
                       last_constants_, factors);
      apply_catch_up(c_.store.table(), rows_.data() + first, last - first, factors);
      for (size_t r = first; r < last; ++r) c_.store.states[static_cast<size_t>(rows_[r])].clock = c_.step;
    });
  }
  UpdateContext c_;
  std::vector<double> log_beta1_, log_decay_;  // running sums of log(beta1), log(1 - lr*wd)
  AdamStep<float> last_constants_{};
  // The rows behind, what they missed, and their factors.
  std::vector<std::int32_t> rows_;
  std::vector<float> missed_count_, missed_log_decay_, missed_log_beta1_;
  std::vector<float> keep_, m_scale_, rms_scale_, inv_b_, eps_a_;
  size_t behind_ = 0;
};

}  // namespace collab
