#include "model/new_user.h"

#include <cmath>
#include <unordered_map>

#include "model/title_match.h"
#include "support/error.h"
#include "support/files.h"
#include "train/adam.h"
#include "train/forward.h"
#include "train/one_cycle.h"

namespace collab {

std::vector<PersonItemRating> match_person_ratings(const SavedModel& m, const PersonRatings& p, const std::string& path) {
  const std::string name = input_name(path);
  const ItemIndex index(m.vocabulary);
  std::vector<PersonItemRating> out;
  std::unordered_map<std::int32_t, unsigned> line_of_item;  // one rating an item, as in the data
  for (size_t r = 0; r < p.keys.size(); ++r) {
    const std::string where = name + " line " + std::to_string(p.line[r]) + ": field '" + (p.by_title ? "title" : "movieId") + "': ";
    std::int32_t item = 0;
    if (p.by_title) {
      try {
        item = index.by_title(p.keys[r]);
      } catch (const Error& e) {
        throw data_error(where + e.what());
      }
    } else {
      item = index.by_movie_id(std::stoi(p.keys[r]));  // the reader checked it is an id
      if (item == 0) throw data_error(where + p.keys[r] + " is not an item of the model");
    }
    auto [it, fresh] = line_of_item.emplace(item, p.line[r]);
    if (!fresh)
      throw data_error(where + "'" + p.keys[r] + "' names " + m.vocabulary.item_titles[static_cast<size_t>(item)] +
                       ", rated already on line " + std::to_string(it->second) + " (one rating an item)");
    out.push_back({item, p.rating[r]});
  }
  return out;
}

std::int32_t add_fitted_user(SavedModel& m, const std::vector<PersonItemRating>& ratings) {
  if (m.shape.arch == Arch::nn) throw usage_error("--ratings-of works with the embedding models (dot, dot-range, dot-bias)");
  const NamedTensor& items = m.weights.get(tables::item_factors);
  const auto k = static_cast<size_t>(items.cols());
  const bool bias = m.shape.has_bias();
  const std::vector<float>* item_bias = bias ? &m.weights.get(tables::item_bias).values : nullptr;
  // The person's row: factors, then the bias, with Adam's m and rms beside it; starts at zero.
  // Forward, backward and Adam are the CPU engine's (train/forward.h, train/adam.h), in float.
  const size_t width = k + (bias ? 1 : 0);
  std::vector<float> p(width, 0.0f), moment(width, 0.0f), rms(width, 0.0f), g(width);
  const OneCycle cycle{m.options.lr};
  const auto divisor = static_cast<float>(ratings.size());
  for (int step = 1; step <= kNewUserSteps; ++step) {
    const double at = static_cast<double>(step - 1) / kNewUserSteps;
    const StepHyper h{static_cast<float>(cycle.lr(at)), static_cast<float>(cycle.mom(at))};
    std::fill(g.begin(), g.end(), 0.0f);
    for (const auto& r : ratings) {
      const float* f = items.values.data() + static_cast<size_t>(r.item) * k;
      float z = 0;
      for (size_t j = 0; j < k; ++j) z += p[j] * f[j];
      if (bias) z += p[k] + (*item_bias)[static_cast<size_t>(r.item)];
      const float dz = squared_error_slope(m.shape, z, r.rating, divisor);
      for (size_t j = 0; j < k; ++j) g[j] += dz * f[j];
      if (bias) g[k] += dz;
    }
    const AdamStep<float> c = as_float(adam_step_constants(h, step, m.options));
    for (size_t j = 0; j < width; ++j) adam_step_with_gradient(p[j], moment[j], rms[j], g[j], c);
  }
  // Append the row: every user table grows by one, the vocabulary by an unknown id, and the
  // person's items become its training rows.
  const auto row = static_cast<std::int32_t>(m.vocabulary.user_rows());
  for (NamedTensor& t : m.weights.tensors) {
    if (t.name == tables::user_factors) {
      for (size_t j = 0; j < k; ++j) t.values.push_back(p[j]);
      t.shape[0] += 1;
    } else if (t.name == tables::user_bias) {
      t.values.push_back(p[k]);
      t.shape[0] += 1;
    }
  }
  m.shape.n_users += 1;
  m.vocabulary.user_ids.push_back(-2);
  std::vector<std::int32_t> rated;
  for (const auto& r : ratings) rated.push_back(r.item);
  std::sort(rated.begin(), rated.end());
  rated.erase(std::unique(rated.begin(), rated.end()), rated.end());
  m.rated_items.insert(m.rated_items.end(), rated.begin(), rated.end());
  m.rated_offsets.push_back(static_cast<std::int64_t>(m.rated_items.size()));
  return row;
}

}  // namespace collab
