#include "model/interpret.h"

#include <algorithm>
#include <cmath>
#include <numeric>

#include "support/error.h"
#include "train/forward.h"

namespace collab {
namespace {

// Similar items and the PCA read item factors, which the baselines do not have.
void require_factors(const SavedModel& m, const char* what) {
  if (!m.shape.has_factors())
    throw data_error(std::string(what) + " needs item factors, and a --arch " + arch_name(m.shape.arch) +
                     " model has none (train dot, dot-range, dot-bias or nn)");
}

std::vector<char> users_trained(const SavedModel& m) {
  std::vector<char> out(m.vocabulary.user_rows(), 0);
  for (size_t u = 0; u < out.size(); ++u) out[u] = m.user_trained(static_cast<std::int32_t>(u));
  return out;
}

const float* row(const NamedTensor& t, std::int32_t r) {
  return t.values.data() + static_cast<size_t>(r) * static_cast<size_t>(t.cols());
}

// fastai's EmbeddingNN forward in evaluation mode: Linear -> ReLU -> BatchNorm per hidden layer
// (running statistics), then the output Linear and sigmoid_range.
double nn_forward(const SavedModel& m, std::int32_t user, std::int32_t item) {
  const Weights& w = m.weights;
  const NamedTensor& U = w.get(tables::user_factors);
  const NamedTensor& I = w.get(tables::item_factors);
  std::vector<float> x(row(U, user), row(U, user) + U.cols());
  x.insert(x.end(), row(I, item), row(I, item) + I.cols());
  for (size_t l = 0; l < m.shape.layers.size(); ++l) {
    const NamedTensor& W = w.get(tables::layer(l, tables::linear_weight));
    const auto out = static_cast<size_t>(W.rows()), in = static_cast<size_t>(W.cols());
    if (in != x.size()) throw data_error("corrupt nn model: layer " + std::to_string(l) + " has the wrong input size");
    const auto& g = w.get(tables::layer(l, tables::bn_weight)).values;
    const auto& b = w.get(tables::layer(l, tables::bn_bias)).values;
    const auto& mean = w.get(tables::layer(l, tables::bn_running_mean)).values;
    const auto& var = w.get(tables::layer(l, tables::bn_running_var)).values;
    std::vector<float> y(out);
    for (size_t o = 0; o < out; ++o) {
      float s = 0;
      for (size_t i = 0; i < in; ++i) s += W.values[o * in + i] * x[i];
      s = std::max(s, 0.0f);
      y[o] = (s - mean[o]) / std::sqrt(var[o] + 1e-5f) * g[o] + b[o];
    }
    x = std::move(y);
  }
  const NamedTensor& O = w.get(tables::out_weight);
  float z = w.get(tables::out_bias).values.at(0);
  for (size_t i = 0; i < x.size(); ++i) z += O.values.at(i) * x[i];
  return sigmoid_range(z, m.shape.y_low, m.shape.y_high);
}

// The `top` best of `scored` (value, row), named by title, or by userId where the rows are `users`.
std::vector<ScoredItem> top_by(const SavedModel& m, std::vector<std::pair<double, std::int32_t>>& scored,
                               size_t top, bool highest, bool users = false) {
  const size_t k = std::min(top, scored.size());
  auto better = [&](const auto& a, const auto& b) {
    if (a.first != b.first) return highest ? a.first > b.first : a.first < b.first;
    return a.second < b.second;
  };
  std::partial_sort(scored.begin(), scored.begin() + static_cast<long>(k), scored.end(), better);
  std::vector<ScoredItem> out;
  for (size_t j = 0; j < k; ++j) {
    const auto row = static_cast<size_t>(scored[j].second);
    out.push_back({scored[j].second,
                   users ? std::to_string(m.vocabulary.user_ids[row]) : m.vocabulary.item_titles[row],
                   scored[j].first});
  }
  return out;
}

// Diagonalises the symmetric k x k matrix `a` in place by cyclic Jacobi rotations (exact enough for
// a 50 x 50 covariance, and dependency-free); its diagonal becomes the eigenvalues. Returns the
// eigenvectors as the columns of a k x k matrix.
std::vector<double> diagonalise_symmetric(std::vector<double>& a, size_t k) {
  std::vector<double> vec(k * k, 0.0);
  for (size_t i = 0; i < k; ++i) vec[i * k + i] = 1.0;
  auto rotate = [&](std::vector<double>& m, size_t p, size_t q, double c, double s, bool rows) {
    for (size_t r = 0; r < k; ++r) {
      double& x = rows ? m[p * k + r] : m[r * k + p];
      double& y = rows ? m[q * k + r] : m[r * k + q];
      const double xp = x, yq = y;
      x = c * xp - s * yq;
      y = s * xp + c * yq;
    }
  };
  for (int sweep = 0; sweep < 100; ++sweep) {
    double off = 0;
    for (size_t p = 0; p < k; ++p)
      for (size_t q = p + 1; q < k; ++q) off += a[p * k + q] * a[p * k + q];
    if (off < 1e-30) break;
    for (size_t p = 0; p < k; ++p)
      for (size_t q = p + 1; q < k; ++q) {
        const double apq = a[p * k + q];
        if (std::fabs(apq) < 1e-300) continue;
        const double theta = (a[q * k + q] - a[p * k + p]) / (2 * apq);
        const double t = (theta >= 0 ? 1.0 : -1.0) / (std::fabs(theta) + std::sqrt(theta * theta + 1));
        const double c = 1 / std::sqrt(t * t + 1), s = t * c;
        rotate(a, p, q, c, s, false);
        rotate(a, p, q, c, s, true);
        rotate(vec, p, q, c, s, false);
      }
  }
  return vec;
}

}  // namespace

BiasExtremes extreme_biases(const SavedModel& m, size_t top, bool users, bool include_untrained) {
  if (!m.shape.has_bias())
    throw data_error("the model has no biases: it was trained with --arch " + arch_name(m.shape.arch) +
                     " (biases come with dot-bias and baseline)");
  const NamedTensor& bias = m.weights.get(users ? tables::user_bias : tables::item_bias);
  const std::vector<char> trained = users ? users_trained(m) : m.items_trained();
  std::vector<std::pair<double, std::int32_t>> scored;
  for (size_t r = 1; r < bias.values.size(); ++r)
    if (include_untrained || trained[r]) scored.emplace_back(bias.values[r], static_cast<std::int32_t>(r));
  BiasExtremes e;
  auto copy = scored;
  e.lowest = top_by(m, scored, top, false, users);
  e.highest = top_by(m, copy, top, true, users);
  return e;
}

std::vector<ScoredItem> similar_items(const SavedModel& m, std::int32_t item, size_t top,
                                      bool include_untrained) {
  require_factors(m, "similar");
  const NamedTensor& F = m.weights.get(tables::item_factors);
  const auto k = static_cast<size_t>(F.cols());
  std::vector<double> norms(static_cast<size_t>(F.rows()));
  for (size_t r = 0; r < norms.size(); ++r) {
    double s = 0;
    for (size_t j = 0; j < k; ++j) s += double(F.values[r * k + j]) * F.values[r * k + j];
    norms[r] = std::sqrt(s);
  }
  const std::vector<char> trained = m.items_trained();
  const float* q = row(F, item);
  std::vector<std::pair<double, std::int32_t>> scored;
  for (size_t r = 1; r < norms.size(); ++r) {
    if (static_cast<std::int32_t>(r) == item || (!include_untrained && !trained[r])) continue;
    double dot = 0;
    for (size_t j = 0; j < k; ++j) dot += double(q[j]) * F.values[r * k + j];
    const double denom = norms[r] * norms[static_cast<size_t>(item)];
    scored.emplace_back(denom > 0 ? dot / denom : 0.0, static_cast<std::int32_t>(r));
  }
  return top_by(m, scored, top, true);
}

double predict_rating(const SavedModel& m, std::int32_t user, std::int32_t item) {
  if (m.shape.arch == Arch::nn) return nn_forward(m, user, item);
  if (m.shape.arch == Arch::popularity) return m.weights.get(tables::item_count).values[static_cast<size_t>(item)];
  if (m.shape.arch == Arch::baseline)
    return m.weights.get(tables::global_mean).values[0] + m.weights.get(tables::user_bias).values[static_cast<size_t>(user)] +
           m.weights.get(tables::item_bias).values[static_cast<size_t>(item)];
  const NamedTensor& U = m.weights.get(tables::user_factors);
  const NamedTensor& I = m.weights.get(tables::item_factors);
  const bool bias = m.shape.has_bias();
  return embedding_prediction(m.shape, row(U, user), row(I, item), static_cast<size_t>(U.cols()),
                              bias ? m.weights.get(tables::user_bias).values[static_cast<size_t>(user)] : 0.0f,
                              bias ? m.weights.get(tables::item_bias).values[static_cast<size_t>(item)] : 0.0f);
}

std::vector<ScoredItem> recommend_items(const SavedModel& m, std::int32_t user, size_t top,
                                        bool include_untrained) {
  const std::vector<char> trained = m.items_trained();
  std::vector<char> rated(trained.size(), 0);
  const auto u = static_cast<size_t>(user);
  for (auto k = m.rated_offsets[u]; k < m.rated_offsets[u + 1]; ++k)
    rated[static_cast<size_t>(m.rated_items[static_cast<size_t>(k)])] = 1;
  std::vector<std::pair<double, std::int32_t>> scored;
  for (size_t i = 1; i < trained.size(); ++i)
    if (!rated[i] && (include_untrained || trained[i]))
      scored.emplace_back(predict_rating(m, user, static_cast<std::int32_t>(i)), static_cast<std::int32_t>(i));
  return top_by(m, scored, top, true);
}

ItemPca item_factor_pca(const SavedModel& m, int components, size_t most_rated) {
  require_factors(m, "factors");
  const NamedTensor& F = m.weights.get(tables::item_factors);
  const auto k = static_cast<size_t>(F.cols());
  if (components < 1 || static_cast<size_t>(components) > k)
    throw usage_error("--pca must be between 1 and " + std::to_string(k));
  std::vector<std::int64_t> counts(static_cast<size_t>(F.rows()), 0);
  for (auto i : m.rated_items) ++counts[static_cast<size_t>(i)];
  ItemPca out;
  for (size_t r = 1; r < counts.size(); ++r)
    if (counts[r] > 0) out.items.push_back(static_cast<std::int32_t>(r));
  std::stable_sort(out.items.begin(), out.items.end(),
                   [&](auto a, auto b) { return counts[static_cast<size_t>(a)] > counts[static_cast<size_t>(b)]; });
  if (most_rated > 0 && out.items.size() > most_rated) out.items.resize(most_rated);
  const size_t n = out.items.size();
  if (n < 2) throw data_error("too few trained items for a PCA");

  // Centre the factors and form their covariance.
  std::vector<double> mean(k, 0.0), cov(k * k, 0.0);
  for (auto i : out.items)
    for (size_t j = 0; j < k; ++j) mean[j] += row(F, i)[j];
  for (auto& x : mean) x /= static_cast<double>(n);
  for (auto i : out.items) {
    const float* f = row(F, i);
    for (size_t a = 0; a < k; ++a)
      for (size_t b = a; b < k; ++b) cov[a * k + b] += (f[a] - mean[a]) * (f[b] - mean[b]);
  }
  for (size_t a = 0; a < k; ++a)
    for (size_t b = a; b < k; ++b) cov[b * k + a] = cov[a * k + b] /= static_cast<double>(n - 1);

  std::vector<double> vec = diagonalise_symmetric(cov, k);
  std::vector<size_t> order(k);
  std::iota(order.begin(), order.end(), 0);
  std::sort(order.begin(), order.end(), [&](size_t a, size_t b) { return cov[a * k + a] > cov[b * k + b]; });
  double total = 0;
  for (size_t a = 0; a < k; ++a) total += std::max(0.0, cov[a * k + a]);
  const auto c = static_cast<size_t>(components);
  out.coordinates.assign(n, std::vector<double>(c, 0.0));
  for (size_t comp = 0; comp < c; ++comp) {
    const size_t e = order[comp];
    out.explained_variance.push_back(total > 0 ? std::max(0.0, cov[e * k + e]) / total : 0.0);
    // A component's sign is arbitrary; fix it so that its largest loading is positive.
    size_t big = 0;
    for (size_t j = 1; j < k; ++j)
      if (std::fabs(vec[j * k + e]) > std::fabs(vec[big * k + e])) big = j;
    const double sign = vec[big * k + e] < 0 ? -1.0 : 1.0;
    for (size_t r = 0; r < n; ++r) {
      const float* f = row(F, out.items[r]);
      double s = 0;
      for (size_t j = 0; j < k; ++j) s += (f[j] - mean[j]) * vec[j * k + e];
      out.coordinates[r][comp] = sign * s;
    }
  }
  return out;
}

}  // namespace collab
