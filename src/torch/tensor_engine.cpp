#include <cmath>

#include "torch_common.h"
#include "torch_engines.h"

namespace collab::torch_backend {
namespace {

namespace F = torch::nn::functional;

class TensorEmbeddingEngine final : public TrainingEngine {
 public:
  TensorEmbeddingEngine(const EngineSetup& s, const std::string& device)
      : shape_(s.shape), options_(s.options), device_(to_device(device)), device_label_(device),
        train_(s.data->train, device_), valid_(s.data->valid, device_) {
    torch::NoGradGuard no_grad;
    // All parameters in one flat tensor, so that one set of Adam kernels updates everything.
    const long nu = shape_.n_users, ni = shape_.n_items, k = shape_.factors;
    const long total = (nu + ni) * k + (shape_.has_bias() ? nu + ni : 0);
    params_ = torch::zeros({total}, torch::TensorOptions().dtype(torch::kFloat32).device(device_));
    user_factors_ = params_.narrow(0, 0, nu * k).view({nu, k});
    item_factors_ = params_.narrow(0, nu * k, ni * k).view({ni, k});
    user_factors_.copy_(from_named(s.initial.get(tables::user_factors), device_));
    item_factors_.copy_(from_named(s.initial.get(tables::item_factors), device_));
    if (shape_.has_bias()) {
      user_bias_ = params_.narrow(0, (nu + ni) * k, nu);
      item_bias_ = params_.narrow(0, (nu + ni) * k + nu, ni);
      user_bias_.copy_(from_named(s.initial.get(tables::user_bias), device_));
      item_bias_.copy_(from_named(s.initial.get(tables::item_bias), device_));
    }
    grad_ = torch::zeros_like(params_);
    exp_avg_ = torch::zeros_like(params_);
    exp_avg_sq_ = torch::zeros_like(params_);
    grad_user_factors_ = grad_.narrow(0, 0, nu * k).view({nu, k});
    grad_item_factors_ = grad_.narrow(0, nu * k, ni * k).view({ni, k});
    if (shape_.has_bias()) {
      grad_user_bias_ = grad_.narrow(0, (nu + ni) * k, nu);
      grad_item_bias_ = grad_.narrow(0, (nu + ni) * k + nu, ni);
    }
    if (options_.optimizer == OptimizerKind::sparse_adam) {
      // Per row (users, then items): the step it was last brought up to, and the running log of
      // the products of (1 - lr*wd) then; and per parameter, its row.
      last_step_ = torch::zeros({nu + ni}, params_.options().dtype(torch::kLong));
      last_log_decay_ = torch::zeros({nu + ni}, params_.options().dtype(torch::kFloat64));
      auto rows = torch::arange(nu + ni, last_step_.options());
      std::vector<torch::Tensor> parts = {rows.narrow(0, 0, nu).repeat_interleave(k),
                                          rows.narrow(0, nu, ni).repeat_interleave(k)};
      if (shape_.has_bias()) parts.insert(parts.end(), {rows.narrow(0, 0, nu), rows.narrow(0, nu, ni)});
      element_row_ = torch::cat(parts);
    }
  }

  std::vector<float> train_batches(const std::int32_t* order, size_t n_batches, size_t bs,
                                   const StepHyper* hyper, const std::atomic<bool>* stop) override {
    return guarded([&] {
      torch::NoGradGuard no_grad;
      torch::Tensor rows = order_on_device(order, n_batches * bs, device_);
      std::vector<torch::Tensor> losses;
      for (size_t b = 0; b < n_batches; ++b) {
        if (stop && stop->load(std::memory_order_relaxed)) break;
        torch::Tensor r = rows.narrow(0, static_cast<long>(b * bs), static_cast<long>(bs));
        torch::Tensor u = train_.user.index_select(0, r), i = train_.item.index_select(0, r);
        if (options_.optimizer == OptimizerKind::sparse_adam) catch_up_rows(u, i);
        losses.push_back(forward_backward(u, i, train_.rating.index_select(0, r)));
        ++step_;
        if (options_.optimizer == OptimizerKind::adam) dense_step(hyper[b]);
        else sparse_step(u, i, hyper[b]);
      }
      return losses_to_host(losses);
    });
  }

  double validation_mse() override {
    return guarded([&] {
      catch_up_all_rows();
      return validation_mse_in_chunks(valid_, 1 << 20, params_.device(),
                                      [&](const torch::Tensor& u, const torch::Tensor& i) { return predict(u, i); });
    });
  }

  Weights weights() const override {
    guarded([&] { const_cast<TensorEmbeddingEngine*>(this)->catch_up_all_rows(); });  // no-op if caught up
    Weights w;
    w.tensors.push_back(to_named(tables::user_factors, user_factors_));
    w.tensors.push_back(to_named(tables::item_factors, item_factors_));
    if (shape_.has_bias()) {
      w.tensors.push_back(to_named(tables::user_bias, user_bias_));
      w.tensors.push_back(to_named(tables::item_bias, item_bias_));
    }
    return w;
  }

  std::string device_name() const override {
    return device_label_ == "cuda" ? cuda_device_name() : "cpu (LibTorch " + libtorch_version() + ")";
  }

 private:
  torch::Tensor raw_score(const torch::Tensor& u, const torch::Tensor& i) {
    torch::Tensor z = (user_factors_.index_select(0, u) * item_factors_.index_select(0, i)).sum(1);
    if (shape_.has_bias()) z = z + user_bias_.index_select(0, u) + item_bias_.index_select(0, i);
    return z;
  }
  torch::Tensor predict(const torch::Tensor& u, const torch::Tensor& i) {
    torch::Tensor z = raw_score(u, i);
    return shape_.has_range() ? torch::sigmoid(z) * (shape_.y_high - shape_.y_low) + shape_.y_low : z;
  }

  // The batch's loss as a device scalar; its gradient lands in grad_ (zero elsewhere).
  torch::Tensor forward_backward(const torch::Tensor& u, const torch::Tensor& i, const torch::Tensor& y) {
    const double bs = static_cast<double>(u.numel());
    torch::Tensor pu = user_factors_.index_select(0, u), pi = item_factors_.index_select(0, i);
    torch::Tensor z = (pu * pi).sum(1);
    if (shape_.has_bias()) z = z + user_bias_.index_select(0, u) + item_bias_.index_select(0, i);
    torch::Tensor pred = z, dpred = torch::ones_like(z);
    if (shape_.has_range()) {
      torch::Tensor s = torch::sigmoid(z);
      const double span = shape_.y_high - shape_.y_low;
      pred = s * span + shape_.y_low;
      dpred = s * (1 - s) * span;
    }
    torch::Tensor diff = pred - y;
    torch::Tensor dz = diff * dpred * (2.0 / bs);
    grad_.zero_();
    grad_user_factors_.index_add_(0, u, pi * dz.unsqueeze(1));
    grad_item_factors_.index_add_(0, i, pu * dz.unsqueeze(1));
    if (shape_.has_bias()) {
      grad_user_bias_.index_add_(0, u, dz);
      grad_item_bias_.index_add_(0, i, dz);
    }
    return diff.pow(2).mean();
  }

  AdamStep<double> constants(const StepHyper& h) const { return adam_step_constants(h, step_, options_); }

  // fastai's Adam, in place, on every parameter.
  void dense_step(const StepHyper& h) {
    const AdamStep<double> c = constants(h);
    params_.mul_(c.decay);
    exp_avg_.mul_(h.beta1).add_(grad_, 1.0 - h.beta1);
    exp_avg_sq_.mul_(options_.beta2).addcmul_(grad_, grad_, 1.0 - options_.beta2);
    params_.addcdiv_(exp_avg_, (exp_avg_sq_ / c.debias2).sqrt_().add_(options_.eps), -c.step_size);
  }

  // The CPU engine's sparse mode (cpu/sparse_adam.h; SparseUpdate in cpu/update_policies.h) with
  // dense masked kernels: a GPU does a masked pass over all rows faster than it could gather and
  // scatter the few touched ones. In this mode exp_avg_sq_ holds sqrt(v), as the CPU engine keeps
  // it. The catch-up of missed steps sums their drift in closed form with the latest step's lr and
  // beta1 (geometric series), as the CPU engine's sparse mode does, where exact Adam would apply
  // each missed step's own values: the two agree closely after the first few hundred steps, when
  // the schedule moves slowly and the bias corrections are near 1.
  struct RowCatchUp {
    torch::Tensor keep, inv_sum_a_over_b, eps_over_sum_a, m_scale, rms_scale;  // per parameter
  };
  RowCatchUp catch_up_factors(std::int64_t now, double log_decay_now, const StepHyper& h) {
    const AdamStep<double> c = adam_step_constants(h, now, options_);
    torch::Tensor n = (now - last_step_).to(torch::kFloat64);
    const double delta = c.decay;
    auto series = [&](double r) {  // sum over k = 1..n of r^k delta^(n-k)
      const double q = r / delta;
      return torch::pow(torch::full_like(n, delta), n) * q * (1 - torch::pow(torch::full_like(n, q), n)) / (1 - q);
    };
    torch::Tensor sum_a = series(h.beta1) * c.step_size + 1e-300;
    torch::Tensor sum_a_over_b = series(h.beta1 / std::sqrt(options_.beta2)) * (c.step_size / c.inv_sqrt_debias2) + 1e-300;
    auto per_param = [&](const torch::Tensor& rows) { return rows.to(torch::kFloat32).index_select(0, element_row_); };
    return {per_param(torch::exp(log_decay_now - last_log_decay_)), per_param(1.0 / sum_a_over_b),
            per_param(options_.eps / sum_a), per_param(torch::pow(torch::full_like(n, static_cast<double>(h.beta1)), n)),
            per_param(torch::pow(torch::full_like(n, std::sqrt(options_.beta2)), n))};
  }
  void apply_catch_up(const RowCatchUp& k, torch::Tensor& p, torch::Tensor& m, torch::Tensor& rms) {
    p = params_ * k.keep - exp_avg_ / (exp_avg_sq_ * k.inv_sum_a_over_b + k.eps_over_sum_a);
    m = exp_avg_ * k.m_scale;
    rms = exp_avg_sq_ * k.rms_scale;
  }

  torch::Tensor touched_rows(const torch::Tensor& u, const torch::Tensor& i) const {
    torch::Tensor touched = torch::zeros({shape_.n_users + shape_.n_items}, params_.options().dtype(torch::kBool));
    return touched.index_fill_(0, u, true).index_fill_(0, i + shape_.n_users, true);
  }

  // The batch's rows brought up to the last step before the forward pass reads them.
  void catch_up_rows(const torch::Tensor& u, const torch::Tensor& i) {
    if (step_ == 0) return;
    torch::Tensor touched = touched_rows(u, i);
    torch::Tensor mask = touched.index_select(0, element_row_);
    torch::Tensor p, m, rms;
    apply_catch_up(catch_up_factors(step_, log_decay_, last_hyper_), p, m, rms);
    params_.copy_(torch::where(mask, p, params_));
    exp_avg_.copy_(torch::where(mask, m, exp_avg_));
    exp_avg_sq_.copy_(torch::where(mask, rms, exp_avg_sq_));
    last_step_.masked_fill_(touched, step_);
    last_log_decay_.masked_fill_(touched, log_decay_);
  }

  // This step's Adam update of the batch's rows, already caught up.
  void sparse_step(const torch::Tensor& u, const torch::Tensor& i, const StepHyper& h) {
    const AdamStep<double> c = constants(h);
    torch::Tensor touched = touched_rows(u, i);
    torch::Tensor mask = touched.index_select(0, element_row_);
    log_decay_ += std::log(c.decay);
    last_hyper_ = h;
    torch::Tensor m = exp_avg_ * h.beta1 + grad_ * (1.0 - h.beta1);
    torch::Tensor rms = torch::sqrt(exp_avg_sq_ * exp_avg_sq_ * options_.beta2 + grad_ * grad_ * (1.0 - options_.beta2));
    torch::Tensor p = params_ * c.decay - c.step_size * m / (rms * c.inv_sqrt_debias2 + options_.eps);
    params_.copy_(torch::where(mask, p, params_));
    exp_avg_.copy_(torch::where(mask, m, exp_avg_));
    exp_avg_sq_.copy_(torch::where(mask, rms, exp_avg_sq_));
    last_step_.masked_fill_(touched, step_);
    last_log_decay_.masked_fill_(touched, log_decay_);
  }

  // Every row up to the last step: before validation and before the weights are read.
  void catch_up_all_rows() {
    if (options_.optimizer != OptimizerKind::sparse_adam || step_ == 0) return;
    torch::NoGradGuard no_grad;
    torch::Tensor p, m, rms;
    apply_catch_up(catch_up_factors(step_, log_decay_, last_hyper_), p, m, rms);
    params_.copy_(p);
    exp_avg_.copy_(m);
    exp_avg_sq_.copy_(rms);
    last_step_.fill_(step_);
    last_log_decay_.fill_(log_decay_);
  }

  ModelShape shape_;
  TrainOptions options_;
  torch::Device device_;
  std::string device_label_;
  DeviceRatings train_, valid_;
  torch::Tensor params_, grad_, exp_avg_, exp_avg_sq_;
  torch::Tensor last_step_, last_log_decay_, element_row_;  // sparse mode
  StepHyper last_hyper_{0, 0};
  torch::Tensor user_factors_, item_factors_, user_bias_, item_bias_;
  torch::Tensor grad_user_factors_, grad_item_factors_, grad_user_bias_, grad_item_bias_;
  std::int64_t step_ = 0;
  double log_decay_ = 0;
};

}  // namespace

std::unique_ptr<TrainingEngine> make_tensor_engine(const EngineSetup& setup, const std::string& device) {
  return guarded([&]() -> std::unique_ptr<TrainingEngine> {
    return std::make_unique<TensorEmbeddingEngine>(setup, device);
  });
}

}  // namespace collab::torch_backend
