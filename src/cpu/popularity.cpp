#include "cpu/popularity.h"

#include <cmath>

#include "train/interactions.h"

namespace collab {

std::vector<float> item_interaction_counts(const RatingSet& train, size_t item_rows, const TrainOptions& o) {
  std::vector<float> counts(item_rows, 0.0f);
  for (size_t r = 0; r < train.size(); ++r)
    if (is_positive(o, train.rating[r])) counts[static_cast<size_t>(train.item[r])] += 1.0f;
  return counts;
}

namespace {

class PopularityEngine final : public TrainingEngine {
 public:
  explicit PopularityEngine(const EngineSetup& s) : shape_(s.shape), options_(s.options), data_(s.data) {}
  bool fits_by_passes() const override { return true; }
  double train_pass() override {
    counts_ = item_interaction_counts(data_->train, static_cast<size_t>(shape_.n_items), options_);
    return 0.0;  // nothing is fitted: a count has no loss
  }
  std::vector<float> train_batches(const std::int32_t*, size_t, size_t, const StepHyper*,
                                   const std::atomic<bool>*) override {
    return {};
  }
  double validation_mse() override { return std::nan(""); }  // it predicts no rating
  Weights weights() const override {
    Weights w;
    w.tensors.push_back({tables::item_count, {shape_.n_items}, counts_});
    return w;
  }
  std::string device_name() const override { return "cpu (counting)"; }

 private:
  ModelShape shape_;
  TrainOptions options_;
  const TrainValidSplit* data_;
  std::vector<float> counts_;
};

}  // namespace

std::unique_ptr<TrainingEngine> make_popularity_engine(const EngineSetup& setup) {
  return std::make_unique<PopularityEngine>(setup);
}

}  // namespace collab
