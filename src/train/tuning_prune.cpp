// ASHA's rungs (train/tuning.h): the deterministic promotion decisions of --prune.
#include <algorithm>
#include <cmath>

#include "train/tuning.h"

namespace collab {

bool is_rung_epoch(int epochs_done) {
  for (int rung = 1; rung <= epochs_done; rung *= kAshaEta)
    if (rung == epochs_done) return true;
  return false;
}

void AshaRungs::add_finished(const TrialResult& r) {
  std::lock_guard<std::mutex> g(lock_);
  scores_[r.trial] = r.rungs;
  ended_.insert(r.trial);
  changed_.notify_all();
}

bool AshaRungs::promote(int trial, size_t rung, double score) {
  std::unique_lock<std::mutex> g(lock_);
  scores_[trial].resize(rung + 1);
  scores_[trial][rung] = score;
  changed_.notify_all();
  // Every lower trial was handed out before this one: it reaches this rung or ends.
  changed_.wait(g, [&] {
    if (abandoned_) return true;
    for (int lower = 0; lower < trial; ++lower)
      if (!ended_.count(lower) && (!scores_.count(lower) || scores_[lower].size() <= rung)) return false;
    return true;
  });
  if (abandoned_) return false;
  std::vector<double> rivals;
  for (int t = 0; t <= trial; ++t)
    if (scores_.count(t) && scores_[t].size() > rung) rivals.push_back(scores_[t][rung]);
  return asha_promotes(score, rivals, minimise_);
}

bool asha_promotes(double score, std::vector<double> rivals, bool minimise) {
  if (!std::isfinite(score)) return false;
  // The finite rung scores, the better first.
  rivals.erase(std::remove_if(rivals.begin(), rivals.end(), [](double s) { return !std::isfinite(s); }), rivals.end());
  std::sort(rivals.begin(), rivals.end());
  if (!minimise) std::reverse(rivals.begin(), rivals.end());
  const size_t kept = std::max<size_t>(rivals.size() / kAshaEta, 1);
  const double threshold = rivals[kept - 1];
  return minimise ? score <= threshold : score >= threshold;
}

void AshaRungs::ended(int trial) {
  std::lock_guard<std::mutex> g(lock_);
  ended_.insert(trial);
  changed_.notify_all();
}

void AshaRungs::abandon() {
  std::lock_guard<std::mutex> g(lock_);
  abandoned_ = true;
  changed_.notify_all();
}

}  // namespace collab
