#include <cmath>

#include "torch_common.h"
#include "torch_engines.h"

namespace collab::torch_backend {
namespace {

// fastai's TabularModel as EmbeddingNN builds it: per hidden layer Linear(no bias) -> ReLU ->
// BatchNorm1d (lin_first), then Linear(last, 1) and sigmoid_range.
struct EmbeddingNNImpl : torch::nn::Module {
  EmbeddingNNImpl(const ModelShape& s) : y_low(s.y_low), y_high(s.y_high) {
    const int user_size = fastai_embedding_size(s.n_users), item_size = fastai_embedding_size(s.n_items);
    users = register_module("users", torch::nn::Embedding(s.n_users, user_size));
    items = register_module("items", torch::nn::Embedding(s.n_items, item_size));
    // fastai's Embedding: truncated normal, std 0.01.
    for (auto* e : {&users, &items}) {
      torch::NoGradGuard g;
      (*e)->weight.normal_().fmod_(2).mul_(0.01);
    }
    long in = user_size + item_size;
    for (size_t l = 0; l < s.layers.size(); ++l) {
      auto lin = torch::nn::Linear(torch::nn::LinearOptions(in, s.layers[l]).bias(false));
      auto bn = torch::nn::BatchNorm1d(s.layers[l]);
      {
        torch::NoGradGuard g;  // fastai's BatchNorm starts with bias 1e-3
        bn->bias.fill_(1e-3);
        bn->weight.fill_(1.0);
      }
      linears.push_back(register_module("linear" + std::to_string(l), lin));
      norms.push_back(register_module("bn" + std::to_string(l), bn));
      in = s.layers[l];
    }
    out = register_module("out", torch::nn::Linear(in, 1));
  }
  torch::Tensor forward(const torch::Tensor& u, const torch::Tensor& i) {
    torch::Tensor x = torch::cat({users(u), items(i)}, 1);
    for (size_t l = 0; l < linears.size(); ++l) x = norms[l](torch::relu(linears[l](x)));
    return torch::sigmoid(out(x).squeeze(1)) * (y_high - y_low) + y_low;
  }
  double y_low, y_high;
  torch::nn::Embedding users{nullptr}, items{nullptr};
  std::vector<torch::nn::Linear> linears;
  std::vector<torch::nn::BatchNorm1d> norms;
  torch::nn::Linear out{nullptr};
};
TORCH_MODULE(EmbeddingNN);

struct ParamState {
  torch::Tensor param, exp_avg, exp_avg_sq;
  bool decay;  // fastai's wd_bn_bias=False: no weight decay on BatchNorm parameters and biases
};

class NnEngine final : public TrainingEngine {
 public:
  NnEngine(const EngineSetup& s, const std::string& device)
      : shape_(s.shape), options_(s.options), device_(to_device(device)), device_label_(device),
        train_(s.data->train, device_), valid_(s.data->valid, device_),
        model_((torch::manual_seed(s.options.seed), EmbeddingNN(s.shape))) {
    model_->to(device_);
    for (const auto& item : model_->named_parameters()) {
      const std::string& name = item.key();
      const bool exempt = name.rfind("bn", 0) == 0 || name.find("bias") != std::string::npos;
      params_.push_back({item.value(), torch::zeros_like(item.value()), torch::zeros_like(item.value()), !exempt});
    }
  }

  std::vector<float> train_batches(const std::int32_t* order, size_t n_batches, size_t bs,
                                   const StepHyper* hyper, const std::atomic<bool>* stop) override {
    return guarded([&] {
      model_->train();
      torch::Tensor rows = order_on_device(order, n_batches * bs, device_);
      std::vector<torch::Tensor> losses;
      for (size_t b = 0; b < n_batches; ++b) {
        if (stop && stop->load(std::memory_order_relaxed)) break;
        torch::Tensor r = rows.narrow(0, static_cast<long>(b * bs), static_cast<long>(bs));
        torch::Tensor pred = model_->forward(train_.user.index_select(0, r), train_.item.index_select(0, r));
        torch::Tensor loss = torch::mse_loss(pred, train_.rating.index_select(0, r));
        model_->zero_grad();
        loss.backward();
        losses.push_back(loss.detach());
        ++step_;
        adam_step(hyper[b]);
      }
      return losses_to_host(losses);
    });
  }

  double validation_mse() override {
    return guarded([&] {
      model_->eval();
      return validation_mse_in_chunks(valid_, 1 << 18, device_, [&](const torch::Tensor& u, const torch::Tensor& i) {
        return model_->forward(u, i);
      });
    });
  }

  Weights weights() const override {
    Weights w;
    w.tensors.push_back(to_named(tables::user_factors, model_->users->weight));
    w.tensors.push_back(to_named(tables::item_factors, model_->items->weight));
    for (size_t l = 0; l < model_->linears.size(); ++l) {
      w.tensors.push_back(to_named(tables::layer(l, tables::linear_weight), model_->linears[l]->weight));
      w.tensors.push_back(to_named(tables::layer(l, tables::bn_weight), model_->norms[l]->weight));
      w.tensors.push_back(to_named(tables::layer(l, tables::bn_bias), model_->norms[l]->bias));
      w.tensors.push_back(to_named(tables::layer(l, tables::bn_running_mean), model_->norms[l]->running_mean));
      w.tensors.push_back(to_named(tables::layer(l, tables::bn_running_var), model_->norms[l]->running_var));
    }
    w.tensors.push_back(to_named(tables::out_weight, model_->out->weight));
    w.tensors.push_back(to_named(tables::out_bias, model_->out->bias));
    return w;
  }

  std::string device_name() const override {
    return device_label_ == "cuda" ? cuda_device_name() : "cpu (LibTorch " + libtorch_version() + ")";
  }

 private:
  void adam_step(const StepHyper& h) {
    torch::NoGradGuard no_grad;
    const AdamStep<double> c = adam_step_constants(h, step_, options_);
    for (auto& s : params_) {
      const torch::Tensor& g = s.param.grad();
      if (!g.defined()) continue;
      if (s.decay) s.param.mul_(c.decay);
      s.exp_avg.mul_(h.beta1).add_(g, 1.0 - h.beta1);
      s.exp_avg_sq.mul_(c.beta2).addcmul_(g, g, 1.0 - c.beta2);
      s.param.addcdiv_(s.exp_avg, (s.exp_avg_sq / c.debias2).sqrt_().add_(c.eps), -c.step_size);
    }
  }

  ModelShape shape_;
  TrainOptions options_;
  torch::Device device_;
  std::string device_label_;
  DeviceRatings train_, valid_;
  EmbeddingNN model_;
  std::vector<ParamState> params_;
  std::int64_t step_ = 0;
};

}  // namespace

std::unique_ptr<TrainingEngine> make_nn_engine(const EngineSetup& setup, const std::string& device) {
  return guarded([&]() -> std::unique_ptr<TrainingEngine> { return std::make_unique<NnEngine>(setup, device); });
}

}  // namespace collab::torch_backend
