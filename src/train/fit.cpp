#include "train/fit.h"

#include <chrono>
#include <cmath>
#include <numeric>
#include <sstream>
#include <thread>

#include "support/error.h"
#include "train/one_cycle.h"
#include "support/random.h"

namespace collab {

namespace {

// Whole batches only: the last partial batch is dropped, as fastai does.
size_t batches_per_epoch(size_t n_train, const TrainOptions& o) {
  const auto bs = static_cast<size_t>(o.batch_size);
  if (bs == 0) throw usage_error("--bs must be positive");
  const size_t batches = n_train / bs;
  if (batches == 0)
    throw data_error("only " + std::to_string(n_train) + " training ratings: fewer than one batch of " +
                     std::to_string(bs) + " (lower --bs or --valid-pct)");
  return batches;
}

// The one-cycle schedule's lr and momentum for each batch of `epoch`.
void fill_step_hypers(const OneCycle& cycle, int epoch, size_t total_steps, std::vector<StepHyper>& hyper) {
  const size_t batches = hyper.size();
  for (size_t b = 0; b < batches; ++b) {
    const double pos = static_cast<double>(static_cast<size_t>(epoch) * batches + b) /
                       static_cast<double>(total_steps);
    hyper[b] = {static_cast<float>(cycle.lr(pos)), static_cast<float>(cycle.mom(pos))};
  }
}

// One epoch's batches, in chunks of hooks.progress_every (reported after each), the smoothed
// loss taking each batch's. A loss that is not finite is a data error (training diverged);
// a stop request ends the epoch early as Interrupted.
void train_epoch(TrainingEngine& engine, const std::vector<std::int32_t>& order, const std::vector<StepHyper>& hyper,
                 int epoch, const TrainOptions& o, const FitHooks& hooks, SmoothedLoss& smooth) {
  const auto bs = static_cast<size_t>(o.batch_size);
  const size_t batches = hyper.size();
  const size_t chunk = hooks.progress_every ? hooks.progress_every : batches;
  for (size_t done = 0; done < batches;) {
    const size_t n = std::min(chunk, batches - done);
    std::vector<float> losses =
        engine.train_batches(order.data() + done * bs, n, bs, hyper.data() + done, hooks.stop);
    for (size_t k = 0; k < losses.size(); ++k) {
      if (!std::isfinite(losses[k])) {
        std::ostringstream msg;
        msg << "the training loss became " << losses[k] << " in epoch " << epoch << ", batch "
            << done + k << "; training diverged: try a lower --lr (now " << o.lr << ")";
        throw data_error(msg.str());
      }
      smooth.add(losses[k]);
    }
    done += losses.size();
    if (losses.size() < n) throw Interrupted();
    if (hooks.on_progress) hooks.on_progress(epoch, done, batches, smooth.value());
  }
}

}  // namespace

std::vector<EpochRecord> fit_one_cycle(TrainingEngine& engine, size_t n_train, const TrainOptions& o,
                                       const FitHooks& hooks, bool validating) {
  const size_t batches = batches_per_epoch(n_train, o);
  const size_t total_steps = batches * static_cast<size_t>(o.epochs);
  const OneCycle cycle{o.lr};

  Rng batch_rng(o.seed, /*stream=*/3);
  std::vector<std::int32_t> order(n_train), next_order(n_train);
  // Each epoch's order is shuffled on a second thread while the epoch before trains, and the
  // engine gathers that epoch's ratings there too: a few milliseconds an epoch on
  // ml-latest-small, which the sparse optimizer's 15 ms epochs feel, and seconds on ml-25m. The
  // shuffles still run one after another on the one generator, so the orders are those of
  // shuffling in line.
  std::thread shuffler;
  // However fit ends, the shuffler is done and the engine drops the layouts of this fit's orders,
  // whose storage goes with it.
  struct EndOfFit {
    std::thread& shuffler;
    TrainingEngine& engine;
    ~EndOfFit() {
      if (shuffler.joinable()) shuffler.join();
      engine.forget_prepared_orders();
    }
  } end_of_fit{shuffler, engine};
  auto prepare_next = [&] {
    std::iota(next_order.begin(), next_order.end(), 0);
    batch_rng.shuffle(next_order);
    engine.prepare_order(next_order.data(), next_order.size());
  };
  prepare_next();
  std::vector<StepHyper> hyper(batches);
  SmoothedLoss smooth(o.smooth_beta);
  std::vector<EpochRecord> history;

  for (int epoch = 0; epoch < o.epochs; ++epoch) {
    const auto started = std::chrono::steady_clock::now();
    if (shuffler.joinable()) shuffler.join();
    order.swap(next_order);
    if (epoch + 1 < o.epochs) shuffler = std::thread(prepare_next);
    fill_step_hypers(cycle, epoch, total_steps, hyper);
    train_epoch(engine, order, hyper, epoch, o, hooks, smooth);
    EpochRecord rec;
    rec.epoch = epoch;
    rec.train_loss = smooth.value();
    rec.valid_loss = engine.validation_mse();
    if (validating && !std::isfinite(rec.valid_loss))
      throw data_error("the validation loss became " + std::to_string(rec.valid_loss) +
                       " after epoch " + std::to_string(epoch) + ": try a lower --lr");
    rec.lr = hyper[batches - 1].lr;
    rec.seconds = std::chrono::duration<double>(std::chrono::steady_clock::now() - started).count();
    history.push_back(rec);
    if (hooks.on_epoch) hooks.on_epoch(rec);
    if (hooks.stop && hooks.stop->load()) throw Interrupted();
  }
  return history;
}

}  // namespace collab
