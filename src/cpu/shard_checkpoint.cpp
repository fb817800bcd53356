#include "cpu/shard_checkpoint.h"

#include <sys/stat.h>

#include <cerrno>
#include <cstring>
#include <filesystem>
#include <regex>
#include <type_traits>

#include "support/error.h"
#include "support/files.h"
#include "support/hash.h"

namespace collab {
namespace {

constexpr char kMagic[] = "collab shard 1\n";
constexpr std::uint64_t kMostFloats = std::uint64_t{1} << 40;  // refuses sizes no rank could hold

std::string shard_name(int ranks, int rank, int epoch) {
  return "shard-" + std::to_string(rank) + "-of-" + std::to_string(ranks) + ".epoch-" + std::to_string(epoch);
}

class Writer {
 public:
  template <class T>
  void value(const T& v) {
    static_assert(std::is_trivially_copyable_v<T>);
    bytes(&v, sizeof v);
  }
  template <class T>
  void column(const T* data, std::uint64_t n) {
    value(n);
    bytes(data, n * sizeof(T));
  }
  void bytes(const void* data, size_t n) { out.append(static_cast<const char*>(data), n); }
  std::string out;
};

class Reader {
 public:
  Reader(const std::string& bytes, std::string path) : bytes_(bytes), path_(std::move(path)) {}
  template <class T>
  T value() {
    T v;
    take(&v, sizeof v);
    return v;
  }
  template <class T>
  std::vector<T> column(std::uint64_t most) {
    const auto n = value<std::uint64_t>();
    if (n > most || n * sizeof(T) > bytes_.size() - at_) fail("a column longer than the file");
    std::vector<T> v(n);
    take(v.data(), n * sizeof(T));
    return v;
  }
  void take(void* out, size_t n) {
    if (n > bytes_.size() - at_) fail("it ends early");
    std::memcpy(out, bytes_.data() + at_, n);
    at_ += n;
  }
  size_t at() const { return at_; }
  [[noreturn]] void fail(const std::string& why) const {
    throw data_error("checkpoint " + path_ + " cannot be read: " + why + "; remove it to start afresh");
  }

 private:
  const std::string& bytes_;
  std::string path_;
  size_t at_ = 0;
};

void make_folder(const std::string& dir) {
  if (::mkdir(dir.c_str(), 0777) != 0 && errno != EEXIST)
    throw cannot_write("--checkpoint " + dir + ": cannot create the folder: " + std::strerror(errno));
  struct stat st{};
  if (::stat(dir.c_str(), &st) != 0 || !S_ISDIR(st.st_mode))
    throw cannot_write("--checkpoint " + dir + " is not a folder");
}

}  // namespace

void save_shard(const std::string& dir, const ShardSnapshot& s, const float* rows, const std::int64_t* clocks) {
  make_folder(dir);
  Writer w;
  w.bytes(kMagic, sizeof kMagic - 1);
  for (auto v : {s.ranks, s.rank, s.epochs_done, s.shift}) w.value(v);
  w.value(s.key);
  w.value(s.step);
  w.value(s.smooth_sum);
  w.value(s.smooth_count);
  w.column(s.history.data(), s.history.size());
  w.column(s.log_beta1.data(), s.log_beta1.size());
  w.column(s.log_decay.data(), s.log_decay.size());
  w.value(s.last_constants);
  w.value(s.row_floats);
  w.column(rows, s.row_count * s.row_floats);
  w.column(clocks, s.row_count);
  Hasher h;
  h.update(w.out.data(), w.out.size());
  w.value(h.digest());
  write_file_atomically(dir + "/" + shard_name(s.ranks, s.rank, s.epochs_done), w.out);
}

ShardSnapshot load_shard(const std::string& dir, int ranks, int rank, int epoch) {
  const std::string path = dir + "/" + shard_name(ranks, rank, epoch);
  const std::string bytes = read_input_file(path, "checkpoint");
  Reader r(bytes, path);
  if (bytes.size() < sizeof kMagic - 1 + sizeof(std::uint64_t) || bytes.compare(0, sizeof kMagic - 1, kMagic) != 0)
    r.fail("not a collab shard");
  Hasher h;
  h.update(bytes.data(), bytes.size() - sizeof(std::uint64_t));
  std::uint64_t digest;
  std::memcpy(&digest, bytes.data() + bytes.size() - sizeof digest, sizeof digest);
  if (digest != h.digest()) r.fail("its checksum does not match (truncated or altered)");
  std::string magic(sizeof kMagic - 1, '\0');
  r.take(magic.data(), magic.size());
  ShardSnapshot s;
  for (auto* v : {&s.ranks, &s.rank, &s.epochs_done, &s.shift}) *v = r.value<std::int32_t>();
  if (s.ranks != ranks || s.rank != rank || s.epochs_done != epoch || s.shift < 0 || s.shift >= ranks)
    r.fail("its header names another rank, epoch or number of ranks than its name");
  s.key = r.value<std::uint64_t>();
  s.step = r.value<std::int64_t>();
  s.smooth_sum = r.value<double>();
  s.smooth_count = r.value<std::int64_t>();
  s.history = r.column<EpochRecord>(static_cast<std::uint64_t>(epoch));
  s.log_beta1 = r.column<double>(kMostFloats);
  s.log_decay = r.column<double>(kMostFloats);
  s.last_constants = r.value<AdamStep<float>>();
  s.row_floats = r.value<std::uint64_t>();
  s.rows = r.column<float>(kMostFloats);
  s.clocks = r.column<std::int64_t>(kMostFloats);
  s.row_count = s.clocks.size();
  if (s.row_floats == 0 || s.rows.size() != s.row_count * s.row_floats || r.at() + sizeof digest != bytes.size())
    r.fail("its rows do not add up");
  if (s.history.size() != static_cast<size_t>(epoch) || s.log_beta1.size() != static_cast<size_t>(s.step) + 1 ||
      s.log_decay.size() != s.log_beta1.size() || s.step < 0 || s.smooth_count < 0)
    r.fail("its history does not match its epoch and step");
  for (std::int64_t clock : s.clocks)
    if (clock < 0 || clock > s.step) r.fail("a row's clock is past the last step");
  return s;
}

int latest_shard_epoch(const std::string& dir, int ranks, int rank) {
  std::error_code error;
  if (!std::filesystem::is_directory(dir, error)) return 0;
  static const std::regex name(R"(shard-(\d{1,6})-of-(\d{1,6})\.epoch-(\d{1,6}))");
  int latest = 0;
  for (const auto& entry : std::filesystem::directory_iterator(dir, error)) {
    std::smatch m;
    const std::string file = entry.path().filename().string();
    if (!std::regex_match(file, m, name)) continue;
    if (std::stoll(m[2]) != ranks)
      throw data_error("--checkpoint " + dir + " holds shards of a run on " + m[2].str() + " ranks (" + file +
                       "), not " + std::to_string(ranks) + ": remove them or choose another folder");
    if (std::stoll(m[1]) == rank) latest = std::max(latest, std::stoi(m[3]));
  }
  return latest;
}

void remove_older_shards(const std::string& dir, int ranks, int rank, int epoch) {
  for (int e = epoch - 1; e >= 1; --e) {
    std::error_code error;
    if (!std::filesystem::remove(dir + "/" + shard_name(ranks, rank, e), error)) break;
  }
}

std::unique_ptr<ExclusiveLock> lock_shard_folder(const std::string& dir, int ranks, int rank) {
  make_folder(dir);
  const std::string path = dir + "/.shard-" + std::to_string(rank) + "-of-" + std::to_string(ranks) + ".lock";
  return std::make_unique<ExclusiveLock>(path, ExclusiveLock::IfHeld::fail,
                                         "--checkpoint " + dir + " is in use by another job (its rank " +
                                             std::to_string(rank) + " holds it): wait for that job, or choose another folder");
}

}  // namespace collab
