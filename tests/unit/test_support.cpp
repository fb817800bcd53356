#include "test_support.h"

#include <gtest/gtest.h>
#include <unistd.h>

#include <algorithm>
#include <cmath>
#include <filesystem>
#include <fstream>
#include <system_error>
#include <vector>

#include "support/random.h"

namespace collab::test_support {

namespace {
// The folders temp_dir made, removed when the test process ends (each test runs in its own).
struct TempDirs {
  std::vector<std::filesystem::path> made;
  ~TempDirs() {
    std::error_code ignored;
    for (const auto& dir : made) std::filesystem::remove_all(dir, ignored);
  }
};
TempDirs& temp_dirs() {
  static TempDirs dirs;
  return dirs;
}
}  // namespace

std::string temp_dir(const std::string& name) {
  auto dir = std::filesystem::temp_directory_path() /
             ("collab-test-" + name + "-" + std::to_string(::getpid()));
  std::filesystem::remove_all(dir);
  std::filesystem::create_directories(dir);
  temp_dirs().made.push_back(dir);
  return dir.string();
}

void write_text(const std::string& path, const std::string& text) {
  std::ofstream(path, std::ios::binary) << text;
}

EncodedRatings synthetic_ratings(int users, int items, double density, unsigned seed, float noise) {
  Rng rng(seed, 99);
  const int k = 3;
  std::vector<float> uf(static_cast<size_t>(users * k)), itf(static_cast<size_t>(items * k));
  for (auto& v : uf) v = rng.normal(0, 0.8f);
  for (auto& v : itf) v = rng.normal(0, 0.8f);
  EncodedRatings d;
  d.vocabulary.user_ids.push_back(-1);
  for (int u = 0; u < users; ++u) d.vocabulary.user_ids.push_back(100 + u);
  d.vocabulary.item_titles.push_back("#na#");
  d.vocabulary.item_movie_ids.push_back(-1);
  for (int i = 0; i < items; ++i) {
    d.vocabulary.item_titles.push_back("Movie " + std::to_string(i) + " (2000)");
    d.vocabulary.item_movie_ids.push_back(i + 1);
  }
  for (int u = 0; u < users; ++u)
    for (int i = 0; i < items; ++i) {
      if (rng.uniform() >= density) continue;
      float r = 3.0f + rng.normal(0, noise);
      for (int j = 0; j < k; ++j) r += uf[static_cast<size_t>(u * k + j)] * itf[static_cast<size_t>(i * k + j)];
      r = std::round(std::clamp(r, 0.5f, 5.0f) * 2) / 2;
      d.user.push_back(u + 1);
      d.item.push_back(i + 1);
      d.rating.push_back(r);
    }
  return d;
}

EngineSetup synthetic_setup(const TrainValidSplit& split, Arch arch, int users, int items, int factors,
                            std::uint64_t seed) {
  EngineSetup s;
  s.shape = {{arch, factors, 0.0f, 5.5f, {}}, users + 1, items + 1};
  s.data = &split;
  s.options.model.factors = factors;
  s.initial = initial_embedding_weights(s.shape, 0.01f, seed);
  return s;
}

Error expect_error(const std::function<void()>& f) {
  try {
    f();
  } catch (const Error& e) {
    return e;
  }
  ADD_FAILURE() << "expected a collab::Error";
  return Error(ExitCode::ok, "");
}

}  // namespace collab::test_support
