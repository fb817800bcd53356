#include "cpu/baseline_only.h"

#include <cmath>

namespace collab {

void baseline_als_pass(const RatingSet& train, double reg_u, double reg_i, BaselineBiases& b) {
  // Each side's sums over its ratings, then the regularised means; items first, as Surprise.
  auto solve = [&](const std::vector<std::int32_t>& key, const std::vector<std::int32_t>& other,
                   const std::vector<double>& other_bias, double reg, std::vector<double>& out) {
    std::vector<double> dev(out.size(), 0.0), count(out.size(), 0.0);
    for (size_t r = 0; r < train.size(); ++r) {
      const auto k = static_cast<size_t>(key[r]);
      dev[k] += train.rating[r] - b.mu - other_bias[static_cast<size_t>(other[r])];
      count[k] += 1;
    }
    for (size_t k = 0; k < out.size(); ++k) out[k] = count[k] > 0 ? dev[k] / (reg + count[k]) : 0.0;
  };
  solve(train.item, train.user, b.user, reg_i, b.item);
  solve(train.user, train.item, b.item, reg_u, b.user);
}

namespace {

class BaselineEngine final : public TrainingEngine {
 public:
  explicit BaselineEngine(const EngineSetup& s) : shape_(s.shape), options_(s.options), data_(s.data) {
    const RatingSet& train = data_->train;
    double sum = 0;
    for (float r : train.rating) sum += r;
    b_.mu = train.size() ? sum / static_cast<double>(train.size()) : 0.0;
    b_.user.assign(static_cast<size_t>(shape_.n_users), 0.0);
    b_.item.assign(static_cast<size_t>(shape_.n_items), 0.0);
  }
  bool fits_by_passes() const override { return true; }
  double train_pass() override {
    baseline_als_pass(data_->train, options_.reg_u, options_.reg_i, b_);
    return mse(data_->train);
  }
  std::vector<float> train_batches(const std::int32_t*, size_t, size_t, const StepHyper*,
                                   const std::atomic<bool>*) override {
    return {};
  }
  double validation_mse() override { return data_->valid.size() ? mse(data_->valid) : std::nan(""); }
  Weights weights() const override {
    auto floats = [](const std::vector<double>& v) { return std::vector<float>(v.begin(), v.end()); };
    Weights w;
    w.tensors.push_back({tables::global_mean, {1}, {static_cast<float>(b_.mu)}});
    w.tensors.push_back({tables::user_bias, {shape_.n_users}, floats(b_.user)});
    w.tensors.push_back({tables::item_bias, {shape_.n_items}, floats(b_.item)});
    return w;
  }
  std::string device_name() const override { return "cpu (baseline ALS)"; }

 private:
  double mse(const RatingSet& set) const {
    double sum = 0;
    for (size_t r = 0; r < set.size(); ++r) {
      const double diff = b_.mu + b_.user[static_cast<size_t>(set.user[r])] + b_.item[static_cast<size_t>(set.item[r])] -
                          set.rating[r];
      sum += diff * diff;
    }
    return sum / static_cast<double>(set.size());
  }
  ModelShape shape_;
  TrainOptions options_;
  const TrainValidSplit* data_;
  BaselineBiases b_;
};

}  // namespace

std::unique_ptr<TrainingEngine> make_baseline_engine(const EngineSetup& setup) {
  return std::make_unique<BaselineEngine>(setup);
}

}  // namespace collab
