#include "train/lr_find.h"

#include <algorithm>
#include <cmath>
#include <numeric>

#include "support/error.h"
#include "train/fit.h"
#include "support/random.h"

namespace collab {

LrFindResult lr_find(TrainingEngine& engine, size_t n_train, const TrainOptions& o,
                     const LrFindOptions& f, const std::atomic<bool>* stop) {
  const auto bs = static_cast<size_t>(o.batch_size);
  const size_t batches = n_train / bs;
  if (batches == 0) throw data_error("fewer training ratings than one batch of " + std::to_string(bs));
  Rng batch_rng(o.seed, /*stream=*/3);
  std::vector<std::int32_t> order(n_train);
  SmoothedLoss smooth(o.smooth_beta);
  LrFindResult r;
  double best = INFINITY;
  size_t in_epoch = batches;
  for (int it = 0; it < f.num_it; ++it) {
    if (in_epoch == batches) {  // a new epoch: reshuffle
      std::iota(order.begin(), order.end(), 0);
      batch_rng.shuffle(order);
      in_epoch = 0;
    }
    const double pos = static_cast<double>(it) / f.num_it;
    const StepHyper h{static_cast<float>(f.start_lr * std::pow(f.end_lr / f.start_lr, pos)), f.beta1};
    auto loss = engine.train_batches(order.data() + in_epoch * bs, 1, bs, &h, stop);
    if (loss.empty()) throw Interrupted();
    ++in_epoch;
    if (!std::isfinite(loss[0])) {
      r.diverged = true;
      break;
    }
    smooth.add(loss[0]);
    r.lrs.push_back(h.lr);
    r.losses.push_back(smooth.value());
    best = std::min(best, smooth.value());
    if (smooth.value() > 4 * best) {
      r.diverged = true;
      break;
    }
  }
  r.suggestions = suggest_learning_rates(r.lrs, r.losses, f.num_it);
  return r;
}

LrSuggestions suggest_learning_rates(const std::vector<double>& all_lrs,
                                     const std::vector<double>& all_losses, int num_it) {
  const size_t skip_start = static_cast<size_t>(num_it / 10);
  if (all_losses.size() < skip_start + 5 + 3)
    throw data_error("the learning-rate finder diverged after " + std::to_string(all_losses.size()) +
                     " steps, too early to suggest a rate; lower the start rate");
  const std::vector<double> lrs(all_lrs.begin() + static_cast<long>(skip_start), all_lrs.end() - 5);
  const std::vector<double> losses(all_losses.begin() + static_cast<long>(skip_start), all_losses.end() - 5);
  const size_t n = losses.size();
  LrSuggestions s{};

  // valley: the longest decreasing run (as a longest-decreasing-subsequence), then a point a
  // little past its middle, as fastai's valley does.
  std::vector<size_t> lds(n, 1);
  size_t max_start = 0, max_end = 0;
  for (size_t i = 1; i < n; ++i) {
    for (size_t j = 0; j < i; ++j) {
      if (losses[i] < losses[j] && lds[i] < lds[j] + 1) lds[i] = lds[j] + 1;
      if (lds[max_end] < lds[i]) {
        max_end = i;
        max_start = max_end - lds[max_end];
      }
    }
  }
  const double sections = static_cast<double>(max_end - max_start) / 3.0;
  const size_t idx = max_start + static_cast<size_t>(sections) + static_cast<size_t>(sections / 2);
  s.valley = lrs[std::min(idx, n - 1)];

  const size_t lowest = static_cast<size_t>(std::min_element(losses.begin(), losses.end()) - losses.begin());
  s.minimum_div10 = lrs[lowest] / 10.0;

  size_t steep = 0;
  double steepest = INFINITY;
  for (size_t i = 0; i + 1 < n; ++i) {
    const double g = (losses[i + 1] - losses[i]) / (std::log(lrs[i + 1]) - std::log(lrs[i]));
    if (g < steepest) steepest = g, steep = i;
  }
  s.steepest = lrs[steep];
  return s;
}

}  // namespace collab
