#include "model/model_file.h"

#include <zlib.h>

#include <algorithm>
#include <cmath>
#include <limits>
#include <cstring>
#include <filesystem>
#include <nlohmann/json.hpp>

#include "support/error.h"
#include "support/files.h"

namespace collab {
namespace {

using nlohmann::json;
constexpr char kMagic[8] = {'C', 'O', 'L', 'L', 'A', 'B', 'M', '1'};
constexpr char kEnd[4] = {'E', 'N', 'D', '!'};

template <class T>
void append_array(std::string& out, const std::vector<T>& v) {
  out.append(reinterpret_cast<const char*>(v.data()), v.size() * sizeof(T));
}

std::string join_strings(const std::vector<std::string>& strings) {
  std::string out;
  for (const auto& s : strings) {
    out += s;
    out += '\0';
  }
  return out;
}

// The options as the file lists them, with the split's share of validation rows among them.
json options_to_json(const TrainOptions& o, const SplitSpec& split) {
  return {{"epochs", o.epochs}, {"lr", o.lr}, {"wd", o.wd}, {"bs", o.batch_size},
          {"factors", o.model.factors}, {"y_range", {o.model.y_low, o.model.y_high}}, {"valid_pct", split.valid_pct},
          {"seed", o.seed}, {"layers", o.model.layers}, {"optimizer", optimizer_name(o.optimizer)},
          {"arch", arch_name(o.model.arch)}, {"implicit", o.model.implicit}, {"positive_rating", o.positive_rating},
          {"loss", loss_name(o.loss)}, {"negatives", o.negatives}, {"alpha", o.alpha}, {"cg_steps", o.cg_steps},
          {"reg_u", o.reg_u}, {"reg_i", o.reg_i}};
}

TrainOptions options_from_json(const json& j) {
  TrainOptions o;
  o.epochs = j.at("epochs");
  o.lr = j.at("lr");
  o.wd = j.at("wd");
  o.batch_size = j.at("bs");
  o.model.factors = j.at("factors");
  o.model.y_low = j.at("y_range").at(0);
  o.model.y_high = j.at("y_range").at(1);
  o.seed = j.at("seed");
  o.model.layers = j.at("layers").get<std::vector<int>>();
  o.optimizer = parse_optimizer(j.at("optimizer"));
  o.model.arch = parse_arch(j.at("arch"));
  // Absent from models written before the ranking models: explicit, MSE.
  o.model.implicit = j.value("implicit", false);
  o.positive_rating = j.value("positive_rating", 0.0f);
  o.loss = parse_loss(j.value("loss", std::string("mse")));
  o.negatives = j.value("negatives", 1);
  o.alpha = j.value("alpha", 0.5);
  o.cg_steps = j.value("cg_steps", 3);
  o.reg_u = j.value("reg_u", 15.0);
  o.reg_i = j.value("reg_i", 10.0);
  return o;
}

// Reads the arrays back in the order the header lists them, checking every size.
class BlobReader {
 public:
  BlobReader(const std::string& path, const std::string& bytes, size_t at, size_t end)
      : path_(path), bytes_(bytes), at_(at), end_(end) {}
  // `count` comes from the header: compared against what is left before multiplying, so a
  // count whose byte size overflows is a truncated file, not a wrapped small number.
  template <class T>
  std::vector<T> array(std::uint64_t count) {
    if (count > (end_ - at_) / sizeof(T)) throw data_error(path_ + ": truncated model file");
    const size_t n = static_cast<size_t>(count) * sizeof(T);
    std::vector<T> v(static_cast<size_t>(count));
    if (n > 0) std::memcpy(v.data(), bytes_.data() + at_, n);
    at_ += n;
    return v;
  }
  std::vector<std::string> strings(std::uint64_t count, std::uint64_t bytes) {
    if (bytes > end_ - at_) throw data_error(path_ + ": truncated model file");
    std::vector<std::string> v;
    v.reserve(count);
    const char* p = bytes_.data() + at_;
    const char* stop = p + bytes;
    while (p < stop && v.size() < count) {
      const char* z = static_cast<const char*>(std::memchr(p, '\0', static_cast<size_t>(stop - p)));
      if (!z) break;
      v.emplace_back(p, z);
      p = z + 1;
    }
    if (v.size() != count) throw data_error(path_ + ": corrupt vocabulary in model file");
    at_ += bytes;
    return v;
  }
  size_t position() const { return at_; }

 private:
  const std::string& path_;
  const std::string& bytes_;
  size_t at_, end_;
};

// A tensor's element count from its declared shape: a negative dimension or a product that
// overflows is a corrupt file, caught before anything is allocated.
std::uint64_t element_count(const std::string& path, const NamedTensor& t) {
  std::uint64_t n = 1;
  for (auto d : t.shape) {
    if (d < 0) throw data_error(path + ": corrupt model file (table '" + t.name + "' has a negative dimension)");
    const auto u = static_cast<std::uint64_t>(d);
    if (u != 0 && n > std::numeric_limits<std::uint64_t>::max() / u)
      throw data_error(path + ": corrupt model file (table '" + t.name + "' is impossibly large)");
    n *= u;
  }
  return n;
}

// Where a model's ratings came from: a registered set (its name and data directory) or two files.
// Paths are made absolute, so that `collab eval` finds the data from another folder.
json source_to_json(const DataSource& s) {
  auto absolute = [](const std::string& p) {
    if (p == "-") return p;  // standard input: nothing to find again
    std::error_code ec;
    const auto a = std::filesystem::absolute(p, ec);
    return ec ? p : a.lexically_normal().string();
  };
  if (!s.install_dir.empty()) return {{"dataset", s.format.name}, {"data_dir", absolute(s.install_dir)}};
  return {{"ratings", absolute(s.ratings_path)}, {"movies", absolute(s.movies_path)}};
}

DataSource source_from_json(const json& j, ItemKey key) {
  if (j.contains("dataset")) return registered_data_source(j.at("dataset"), j.at("data_dir"), key);
  return csv_files_data_source(j.at("ratings"), j.at("movies"), key);
}

// The filters applied before the split; a rating filter that was not set is null.
json filters_to_json(const RatingFilters& f) {
  return {{"min_rating", f.min_rating ? json(*f.min_rating) : json(nullptr)},
          {"min_user_ratings", f.min_user_ratings}, {"min_item_ratings", f.min_item_ratings}};
}

RatingFilters filters_from_json(const json& j) {
  RatingFilters f;
  if (!j.at("min_rating").is_null()) f.min_rating = j.at("min_rating").get<double>();
  f.min_user_ratings = j.at("min_user_ratings");
  f.min_item_ratings = j.at("min_item_ratings");
  return f;
}

// A validation loss is null in the file when training had no validation rows.
double number_or_nan(const json& j) { return j.is_null() ? std::nan("") : j.get<double>(); }

}  // namespace

void save_model(const std::string& path, const SavedModel& m) { write_file_atomically(path, model_file_bytes(m)); }

std::string model_file_bytes(const SavedModel& m) {
  json header;
  header["format"] = "collab-model";
  header["version"] = 1;
  header["collab_version"] = COLLAB_VERSION;
  header["arch"] = arch_name(m.shape.arch);
  header["shape"] = {{"n_users", m.shape.n_users}, {"n_items", m.shape.n_items},
                     {"factors", m.shape.factors}, {"y_range", {m.shape.y_low, m.shape.y_high}},
                     {"layers", m.shape.layers}};
  header["options"] = options_to_json(m.options, m.split);
  header["dataset"] = m.source.description;
  if (m.has_source) header["source"] = source_to_json(m.source);  // none for ratings trained in memory
  header["split"] = {{"kind", split_name(m.split.kind)}, {"valid_pct", m.split.valid_pct},
                     {"valid_last", m.split.valid_last}, {"valid_ratings", m.split.valid_ratings},
                     {"seed", m.options.seed}, {"test_pct", m.split.test_pct}};
  if (!m.split_rows.empty()) header["split"]["rows"] = m.split_rows;
  if (!m.split_membership.empty()) header["split"]["membership"] = m.split_membership;
  header["filters"] = filters_to_json(m.filters);
  header["device"] = m.device;
  header["item_key"] = m.vocabulary.item_key == ItemKey::title ? "title" : "movieId";
  for (const auto& e : m.history)
    header["history"].push_back({{"epoch", e.epoch}, {"train_loss", e.train_loss},
                                 {"valid_loss", e.valid_loss}, {"seconds", e.seconds}, {"lr", e.lr}});
  const std::string titles = join_strings(m.vocabulary.item_titles);
  header["vocabulary"] = {{"users", m.vocabulary.user_ids.size()},
                          {"items", m.vocabulary.item_titles.size()},
                          {"title_bytes", titles.size()}};
  header["rated_items"] = m.rated_items.size();
  for (const auto& t : m.weights.tensors)
    header["tensors"].push_back({{"name", t.name}, {"shape", t.shape}});

  const std::string text = header.dump();
  // Sized once: grown by appending, a model of ml-25m's size (130 MB) was copied and its new
  // pages faulted in at every doubling (0.17 s of a 0.95 s save).
  size_t bytes = sizeof kMagic + sizeof(std::uint64_t) + text.size() + titles.size();
  bytes += sizeof(std::uint32_t) + sizeof kEnd;  // the checksum and the end mark
  bytes += m.vocabulary.user_ids.size() * sizeof m.vocabulary.user_ids[0];
  bytes += m.vocabulary.item_movie_ids.size() * sizeof m.vocabulary.item_movie_ids[0];
  bytes += m.rated_offsets.size() * sizeof m.rated_offsets[0] + m.rated_items.size() * sizeof m.rated_items[0];
  for (const auto& t : m.weights.tensors) bytes += t.values.size() * sizeof t.values[0];
  std::string out;
  out.reserve(bytes);
  out.append(kMagic, sizeof kMagic);
  const std::uint64_t len = text.size();
  out.append(reinterpret_cast<const char*>(&len), sizeof len);
  out += text;
  append_array(out, m.vocabulary.user_ids);
  append_array(out, m.vocabulary.item_movie_ids);
  out += titles;
  append_array(out, m.rated_offsets);
  append_array(out, m.rated_items);
  for (const auto& t : m.weights.tensors) append_array(out, t.values);
  const auto crc = static_cast<std::uint32_t>(
      crc32_z(0L, reinterpret_cast<const Bytef*>(out.data()), out.size()));
  out.append(reinterpret_cast<const char*>(&crc), sizeof crc);
  out.append(kEnd, sizeof kEnd);
  return out;
}

SavedModel load_model(const std::string& path) {
  std::error_code ec;
  if (!std::filesystem::exists(path, ec))
    throw missing_input(path + ": no such model file (train one with `collab train --model " + path + "`)");
  return parse_model(path, read_input_file(path, "model file"));
}

// The header's fields other than the arrays' sizes: shape, options, source, split, history.
void read_header_fields(const json& h, SavedModel& m) {
  const json& s = h.at("shape");
  m.shape.arch = parse_arch(h.at("arch"));
  m.shape.n_users = s.at("n_users");
  m.shape.n_items = s.at("n_items");
  m.shape.factors = s.at("factors");
  m.shape.y_low = s.at("y_range").at(0);
  m.shape.y_high = s.at("y_range").at(1);
  m.shape.layers = s.at("layers").get<std::vector<int>>();
  m.options = options_from_json(h.at("options"));
  m.shape.implicit = m.options.model.implicit;
  m.vocabulary.item_key = h.at("item_key") == "title" ? ItemKey::title : ItemKey::movie_id;
  // Models written before collab recorded its source and split were split at random. A recorded
  // source describes itself by its paths, made absolute; one that is not there keeps the name.
  const std::string dataset = h.at("dataset");
  m.has_source = h.contains("source");
  if (m.has_source)
    m.source = source_from_json(h.at("source"), m.vocabulary.item_key);
  else
    m.source.description = dataset;
  m.split.kind = SplitKind::random;
  m.split.valid_pct = h.at("options").at("valid_pct");
  if (h.contains("split")) {
    const json& sp = h.at("split");
    m.split.kind = parse_split(sp.at("kind"));
    m.split.valid_pct = sp.at("valid_pct");
    m.split.valid_last = sp.at("valid_last");
    m.split.valid_ratings = sp.at("valid_ratings");
    // Its "seed" is the options' (the one seed of a run).
    if (sp.contains("rows")) m.split_rows = sp.at("rows").get<std::string>();
    if (sp.contains("membership")) m.split_membership = sp.at("membership").get<std::string>();
    m.split.test_pct = sp.value("test_pct", 0.0);  // absent before collab held out test rows
  }
  if (h.contains("filters")) m.filters = filters_from_json(h.at("filters"));
  m.device = h.at("device");
  if (h.contains("history"))
    for (const auto& e : h.at("history"))
      m.history.push_back({e.at("epoch"), e.at("train_loss"), number_or_nan(e.at("valid_loss")),
                           e.at("seconds"), e.at("lr")});
}

SavedModel parse_model(const std::string& path, const std::string& bytes) {
  const std::string not_model = path + ": not a collab model file";
  if (bytes.size() < sizeof kMagic + 8 || std::memcmp(bytes.data(), kMagic, sizeof kMagic) != 0)
    throw data_error(not_model);
  if (bytes.size() < sizeof kMagic + 8 + 8 ||
      std::memcmp(bytes.data() + bytes.size() - 4, kEnd, 4) != 0)
    throw data_error(path + ": truncated model file");
  const size_t body_end = bytes.size() - 8;
  std::uint32_t stored_crc;
  std::memcpy(&stored_crc, bytes.data() + body_end, 4);
  const auto crc = static_cast<std::uint32_t>(
      crc32_z(0L, reinterpret_cast<const Bytef*>(bytes.data()), body_end));
  if (crc != stored_crc) throw data_error(path + ": corrupt model file (checksum mismatch)");

  std::uint64_t len;
  std::memcpy(&len, bytes.data() + sizeof kMagic, 8);
  const size_t header_at = sizeof kMagic + 8;
  if (len > body_end - header_at) throw data_error(path + ": truncated model file");
  SavedModel m;
  try {
    const json h = json::parse(bytes.begin() + static_cast<long>(header_at),
                               bytes.begin() + static_cast<long>(header_at + len));
    if (h.at("format") != "collab-model") throw data_error(not_model);
    if (h.at("version") != 1)
      throw data_error(path + ": model file version " + h.at("version").dump() +
                       " is newer than this collab understands");
    read_header_fields(h, m);
    BlobReader blobs(path, bytes, header_at + len, body_end);
    const json& v = h.at("vocabulary");
    const std::uint64_t users = v.at("users"), items = v.at("items");
    m.vocabulary.user_ids = blobs.array<std::int32_t>(users);
    m.vocabulary.item_movie_ids = blobs.array<std::int32_t>(items);
    m.vocabulary.item_titles = blobs.strings(items, v.at("title_bytes"));
    m.rated_offsets = blobs.array<std::int64_t>(users + 1);
    m.rated_items = blobs.array<std::int32_t>(h.at("rated_items").get<std::uint64_t>());
    for (const auto& t : h.at("tensors")) {
      NamedTensor tensor{t.at("name"), t.at("shape").get<std::vector<std::int64_t>>(), {}};
      tensor.values = blobs.array<float>(element_count(path, tensor));
      m.weights.tensors.push_back(std::move(tensor));
    }
    if (blobs.position() != body_end) throw data_error(path + ": corrupt model file (extra bytes)");
  } catch (const json::exception& e) {
    throw data_error(path + ": corrupt model header (" + e.what() + ")");
  } catch (const Error& e) {
    // An unknown architecture or optimizer name is a usage error where a user types it; here
    // it is a damaged file.
    if (e.code() != ExitCode::usage) throw;
    throw data_error(path + ": corrupt model header (" + e.what() + ")");
  }
  check_model_invariants(path, m);
  return m;
}

}  // namespace collab
