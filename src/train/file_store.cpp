// The ranks' store in a file of the launcher's private folder (train/file_store.h), in the format
// of LibTorch 1.13's c10d::FileStore.
#include "train/file_store.h"

#include <fcntl.h>
#include <sys/file.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cerrno>
#include <chrono>
#include <cstdint>
#include <cstdlib>
#include <cstring>
#include <map>
#include <mutex>
#include <thread>
#include <vector>

#include "support/error.h"
#include "support/interrupt.h"

namespace collab {
namespace {

using Clock = std::chrono::steady_clock;

// The keys as c10d writes those of collab's store (its prefixes "collab", then "kv", and the
// FileStore's own "/"), and the key where c10d's FileStore counts the ranks that closed it.
constexpr char kKeyPrefix[] = "/collab/kv/";
constexpr char kCleanupKey[] = "cleanup/";
constexpr char kDeletePrefix = '-';  // c10d's record of a deleted key (never written here)

void put_u32(std::string& out, std::uint32_t n) {
  for (int i = 0; i < 4; ++i) out.push_back(static_cast<char>((n >> (8 * i)) & 0xff));
}

// One length-prefixed field of `data` at `pos`; false (pos unchanged) when it is not all there.
bool take_field(const std::string& data, size_t& pos, std::string& field) {
  if (data.size() - pos < 4) return false;
  std::uint32_t n = 0;
  for (int i = 0; i < 4; ++i)
    n |= static_cast<std::uint32_t>(static_cast<unsigned char>(data[pos + i])) << (8 * i);
  if (data.size() - pos - 4 < n) return false;
  field.assign(data, pos + 4, n);
  pos += 4 + n;
  return true;
}

class FileStoreRanks final : public Communicator {
 public:
  explicit FileStoreRanks(const DistributedSetup& s)
      : rank_(s.rank),
        size_(s.world_size),
        timeout_(std::chrono::seconds(s.timeout_seconds)),
        path_(s.store_dir + "/store") {
    fd_ = ::open(path_.c_str(), O_RDWR | O_CREAT | O_APPEND | O_CLOEXEC, 0600);
    if (fd_ < 0)
      throw unavailable("rank " + std::to_string(rank_) + " could not meet the others in " +
                        s.store_dir + ": " + std::strerror(errno));
    add_raw(kCleanupKey, 0);
  }

  // As c10d's: the last rank to close the store removes its file, so that ranks started by hand
  // in one folder again meet in an empty store.
  ~FileStoreRanks() override {
    try {
      if (add_raw(kCleanupKey, 1) >= size_) ::unlink(path_.c_str());
    } catch (...) {  // the folder is gone already (the launcher ended): nothing to remove
    }
    ::close(fd_);
  }

  int rank() const override { return rank_; }
  int world_size() const override { return size_; }
  Traffic traffic() const override { return traffic_; }

  void allgather(const float* mine, size_t count, float* all) override {
    allgather_bytes(mine, count * sizeof(float), all);
  }
  void allgather_bytes(const void* mine, size_t bytes, void* all) override;
  void barrier() override {
    const char none = 0;
    std::vector<char> all(static_cast<size_t>(size_));
    allgather_bytes(&none, 1, all.data());
  }

  void store_set(const std::string& key, const std::string& value) override {
    std::lock_guard<std::mutex> g(lock_);
    Locked file(*this, LOCK_EX);
    append(kKeyPrefix + key, value);
  }
  std::optional<std::string> store_get(const std::string& key) override {
    std::lock_guard<std::mutex> g(lock_);
    if (size_on_disk() != read_) {  // else nothing new: no lock to take
      Locked file(*this, LOCK_SH);
      catch_up();
    }
    const auto it = values_.find(kKeyPrefix + key);
    return it == values_.end() ? std::nullopt : std::optional<std::string>(it->second);
  }
  std::int64_t store_add(const std::string& key, std::int64_t amount) override {
    return add_raw(kKeyPrefix + key, amount);
  }

 private:
  // flock() on this process's descriptor while it lives (threads take lock_ first: flock does
  // not keep apart the threads that share a descriptor).
  struct Locked {
    Locked(FileStoreRanks& s, int how) : fd(s.fd_) {
      while (::flock(fd, how) != 0)
        if (errno != EINTR) s.fail("locking");
    }
    ~Locked() { ::flock(fd, LOCK_UN); }
    int fd;
  };

  std::int64_t add_raw(const std::string& key, std::int64_t amount) {
    std::lock_guard<std::mutex> g(lock_);
    Locked file(*this, LOCK_EX);
    catch_up();
    const auto it = values_.find(key);
    const std::int64_t sum =
        (it == values_.end() ? 0 : std::strtoll(it->second.c_str(), nullptr, 10)) + amount;
    append(key, std::to_string(sum));
    return sum;
  }

  [[noreturn]] void fail(const std::string& doing) const {
    throw unavailable(doing + " the ranks' store " + path_ + ": " + std::strerror(errno));
  }

  std::uint64_t size_on_disk() const {
    struct stat st {};
    if (::fstat(fd_, &st) != 0) fail("reading");
    return static_cast<std::uint64_t>(st.st_size);
  }

  // The records written since the last look: whole ones only (a writer holds the lock while it
  // writes, but a reader of a killed writer's half record waits for nothing).
  void catch_up() {
    const std::uint64_t end = size_on_disk();
    if (end < read_)
      throw unavailable("the ranks' store " + path_ + " shrank: another job uses its folder");
    std::string tail(static_cast<size_t>(end - read_), '\0');
    for (size_t got = 0; got < tail.size();) {
      const ssize_t n =
          ::pread(fd_, &tail[got], tail.size() - got, static_cast<off_t>(read_ + got));
      if (n < 0 && errno == EINTR) continue;
      if (n <= 0) fail("reading");
      got += static_cast<size_t>(n);
    }
    size_t pos = 0;
    std::string key, value;
    for (size_t at = 0; take_field(tail, at, key) && take_field(tail, at, value); pos = at) {
      if (!key.empty() && key[0] == kDeletePrefix)
        values_.erase(key.substr(1));
      else
        values_[key] = value;
    }
    read_ += pos;
  }

  // One record, in one write, at the end (O_APPEND), under LOCK_EX.
  void append(const std::string& key, const std::string& value) {
    if (key.size() > UINT32_MAX || value.size() > UINT32_MAX)
      throw internal_error("a store value over 4 GiB");
    std::string record;
    record.reserve(8 + key.size() + value.size());
    put_u32(record, static_cast<std::uint32_t>(key.size()));
    record += key;
    put_u32(record, static_cast<std::uint32_t>(value.size()));
    record += value;
    for (size_t put = 0; put < record.size();) {
      const ssize_t n = ::write(fd_, record.data() + put, record.size() - put);
      if (n < 0 && errno == EINTR) continue;
      if (n <= 0) fail("writing to");
      put += static_cast<size_t>(n);
    }
    ++traffic_.calls;
    traffic_.bytes_sent += record.size();
  }

  const int rank_, size_;
  const std::chrono::milliseconds timeout_;
  const std::string path_;
  int fd_ = -1;
  std::mutex lock_;
  std::uint64_t read_ = 0;                     // the bytes of the file read into values_
  std::map<std::string, std::string> values_;  // the file's keys (with their prefixes) as read
  std::uint64_t gathers_ = 0;                  // allgathers so far: each has keys of its own
  Traffic traffic_;
};

// Each rank posts its bytes under the call's key and reads the others' once they are all there.
// The first call is where the ranks meet: a rank that never comes is an error after --dist-timeout.
void FileStoreRanks::allgather_bytes(const void* mine, size_t bytes, void* all) {
  const std::string call = "gather/" + std::to_string(gathers_++) + "/";
  store_set(call + std::to_string(rank_), std::string(static_cast<const char*>(mine), bytes));
  const auto deadline = Clock::now() + timeout_;
  for (int r = 0; r < size_; ++r) {
    std::optional<std::string> theirs;
    while (!(theirs = store_get(call + std::to_string(r)))) {
      if (stop_requested()) throw Interrupted();
      if (Clock::now() > deadline)
        throw unavailable("rank " + std::to_string(rank_) + " waited --dist-timeout (" +
                          std::to_string(timeout_.count() / 1000) + " s) for rank " +
                          std::to_string(r) + " in " + path_ + ": it never came, or stopped");
      std::this_thread::sleep_for(std::chrono::milliseconds(2));
    }
    if (theirs->size() != bytes)
      throw unavailable("rank " + std::to_string(r) + " sent " + std::to_string(theirs->size()) +
                        " bytes where " + std::to_string(bytes) +
                        " were expected: the ranks run different versions of collab");
    std::memcpy(static_cast<char*>(all) + static_cast<size_t>(r) * bytes, theirs->data(), bytes);
  }
}

}  // namespace

std::unique_ptr<Communicator> connect_file_store(const DistributedSetup& setup) {
  if (setup.store_dir.empty()) throw internal_error("a file store without a folder");
  return std::make_unique<FileStoreRanks>(setup);
}

}  // namespace collab
