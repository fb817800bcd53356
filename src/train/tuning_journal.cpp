// The journal of train/tuning.h: one JSON line per finished trial, read back to resume a search.
#include "train/tuning.h"

#include <fcntl.h>
#include <unistd.h>

#include <algorithm>
#include <cerrno>
#include <cmath>
#include <cstdio>
#include <fstream>
#include <nlohmann/json.hpp>
#include <sstream>

#include "support/error.h"

namespace collab {
namespace {

// A categorical value by its name, so that a journal reads as the command was written.
nlohmann::json value_json(const TunedOption& o, double v) {
  return o.categorical() ? nlohmann::json(value_text(o, v)) : nlohmann::json(v);
}

double value_of(const TunedOption& o, const nlohmann::json& j) {
  if (!o.categorical()) return j.get<double>();
  const auto at = std::find(o.labels.begin(), o.labels.end(), j.get<std::string>());
  if (at == o.labels.end()) throw nlohmann::json::other_error::create(501, "unknown " + o.name, &j);
  return static_cast<double>(at - o.labels.begin());
}

}  // namespace

std::string journal_line(const std::vector<TunedOption>& space, const std::string& search, const TrialResult& r) {
  nlohmann::json j = {{"search", search}, {"trial", r.trial}};
  for (size_t i = 0; i < space.size(); ++i) j[space[i].name] = value_json(space[i], r.values[i]);
  j["score"] = std::isfinite(r.score) ? nlohmann::json(r.score) : nlohmann::json(nullptr);
  j["epochs"] = r.epochs;
  j["pruned"] = r.pruned;
  j["seconds"] = r.seconds;
  j["train_rows"] = r.train_rows;
  j["tune_rows"] = r.tune_rows;
  j["rungs"] = r.rungs;
  j["folds"] = r.folds;
  j["score_std"] = r.score_std;
  return j.dump();
}

TrialResult parse_journal_line(const std::string& row, const std::vector<TunedOption>& space,
                               const std::string& search, const std::string& where) {
  nlohmann::json j;
  try {
    j = nlohmann::json::parse(row);
  } catch (const std::exception&) {
    throw data_error(where + ": not a JSON line of a tune journal");
  }
  if (!j.is_object() || !j.contains("search") || !j["search"].is_string())
    throw data_error(where + ": not a trial of a tune journal (no 'search')");
  if (j["search"].get<std::string>() != search)
    throw data_error(where + ": a trial of another search (its data, split, --space, --search, --seed, --metric, "
                     "--k, --tune-pct or a fixed training option differ); use another --journal");
  try {
    TrialResult r;
    r.trial = j.at("trial").get<int>();
    for (const TunedOption& o : space) r.values.push_back(value_of(o, j.at(o.name)));
    r.score = j.at("score").is_null() ? std::nan("") : j.at("score").get<double>();
    r.epochs = j.at("epochs").get<int>();
    r.pruned = j.at("pruned").get<bool>();
    r.seconds = j.at("seconds").get<double>();
    r.train_rows = j.at("train_rows").get<size_t>();
    r.tune_rows = j.at("tune_rows").get<size_t>();
    if (j.contains("rungs"))  // a diverged rung's score is null (JSON has no NaN)
      for (const nlohmann::json& v : j.at("rungs")) r.rungs.push_back(v.is_null() ? std::nan("") : v.get<double>());
    r.folds = j.value("folds", 0);
    r.score_std = j.value("score_std", 0.0);
    return r;
  } catch (const nlohmann::json::exception&) {
    throw data_error(where + ": a trial with a missing or mistyped field");
  }
}

std::vector<TrialResult> read_journal(const std::string& path, const std::vector<TunedOption>& space,
                                      const std::string& search) {
  std::ifstream in(path, std::ios::binary);
  if (!in) return {};
  std::stringstream whole;
  whole << in.rdbuf();
  const std::string text = whole.str();
  std::vector<TrialResult> out;
  size_t start = 0;
  for (int line = 1; start < text.size(); ++line) {
    const size_t end = text.find('\n', start);
    if (end == std::string::npos) {
      std::fprintf(stderr, "collab: note: %s line %d has no end (a run stopped while writing it): skipped; "
                   "that trial runs again\n", path.c_str(), line);
      break;
    }
    const std::string row = text.substr(start, end - start);
    start = end + 1;
    TrialResult r = parse_journal_line(row, space, search, path + " line " + std::to_string(line));
    r.resumed = true;
    out.push_back(std::move(r));
  }
  return out;
}

void append_journal(const std::string& path, const std::string& line) {
  const int fd = ::open(path.c_str(), O_WRONLY | O_CREAT | O_APPEND | O_CLOEXEC, 0644);
  if (fd < 0) throw cannot_write("--journal " + path + ": cannot open it for appending");
  const std::string data = line + "\n";
  size_t written = 0;
  while (written < data.size()) {
    const ssize_t w = ::write(fd, data.data() + written, data.size() - written);
    if (w < 0 && errno == EINTR) continue;
    if (w <= 0) {
      ::close(fd);
      throw cannot_write("--journal " + path + ": cannot write to it");
    }
    written += static_cast<size_t>(w);
  }
  const bool synced = ::fsync(fd) == 0;
  ::close(fd);
  if (!synced) throw cannot_write("--journal " + path + ": cannot flush it to disk");
}

}  // namespace collab
