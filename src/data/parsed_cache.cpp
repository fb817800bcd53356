#include "data/parsed_cache.h"

#include <fcntl.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cerrno>
#include <cmath>
#include <cstdio>
#include <cstring>
#include <filesystem>
#include <string>

#include "support/files.h"
#include "support/hash.h"
#include "support/interrupt.h"
#include "support/utf8.h"

namespace collab {
namespace {

constexpr char kMagic[8] = {'C', 'O', 'L', 'C', 'A', 'C', 'H', '2'};

// A source file's size and the hash of all its bytes; empty when it is not a regular file (a
// FIFO is opened without blocking and never read).
std::string fingerprint(const std::string& path) {
  const int fd = ::open(path.c_str(), O_RDONLY | O_NONBLOCK | O_CLOEXEC);
  if (fd < 0) return "";
  struct stat st {};
  std::uint64_t digest = 0;
  const bool ok = ::fstat(fd, &st) == 0 && S_ISREG(st.st_mode) && hash_file(fd, digest);
  ::close(fd);
  return ok ? std::to_string(st.st_size) + ":" + hex_digest(digest) : "";
}

// Closes a descriptor when it goes out of scope.
struct Descriptor {
  int fd;
  ~Descriptor() {
    if (fd >= 0) ::close(fd);
  }
};

// Whether a cache opened as `fd` in `folder` may be believed: a file of the user running collab,
// or of root in a folder no one else can write, that no one but its owner can change.
bool trusted(int fd, const std::string& folder) {
  struct stat st {}, dir {};
  if (::fstat(fd, &st) != 0 || !S_ISREG(st.st_mode) || (st.st_mode & (S_IWGRP | S_IWOTH)) != 0) return false;
  if (st.st_uid == ::geteuid()) return true;
  return st.st_uid == 0 && ::stat(folder.c_str(), &dir) == 0 && (dir.st_mode & (S_IWGRP | S_IWOTH)) == 0;
}

// Buffered reads of what Writer wrote, refusing counts the rest of the file cannot hold, and
// hashing every byte for the body's checksum.
class Reader {
 public:
  Reader(int fd, std::uint64_t size) : fd_(fd), left_(size) {}
  template <class T>
  bool get(std::vector<T>& v) {
    std::uint64_t n = 0;
    if (!raw(&n, sizeof n) || n > left_ / sizeof(T)) return false;
    v.resize(static_cast<size_t>(n));
    return raw(v.data(), static_cast<size_t>(n) * sizeof(T));
  }
  bool get_string(std::string& s) {
    std::uint64_t n = 0;
    if (!raw(&n, sizeof n) || n > left_) return false;
    s.resize(static_cast<size_t>(n));
    return raw(s.data(), s.size());
  }
  bool raw(void* p, size_t n) {
    if (n > left_) return false;
    auto* out = static_cast<char*>(p);
    for (size_t done = 0; done < n;) {
      const ssize_t got = ::read(fd_, out + done, n - done);
      if (got < 0 && errno == EINTR) continue;
      if (got <= 0) return false;
      done += static_cast<size_t>(got);
    }
    hash_.update(p, n);
    left_ -= n;
    return true;
  }
  std::uint64_t left() const { return left_; }
  std::uint64_t digest() const { return hash_.digest(); }

 private:
  int fd_;
  std::uint64_t left_;
  Hasher hash_;
};

// Writes through a buffer, hashing every byte; ok() is false once a write failed.
class Writer {
 public:
  explicit Writer(int fd) : fd_(fd) { buffer_.reserve(kBuffer); }
  template <class T>
  void put(const std::vector<T>& v) {
    const std::uint64_t n = v.size();
    raw(&n, sizeof n);
    raw(v.data(), static_cast<size_t>(n) * sizeof(T));
  }
  void put_string(const std::string& s) {
    const std::uint64_t n = s.size();
    raw(&n, sizeof n);
    raw(s.data(), s.size());
  }
  void raw(const void* p, size_t n) {
    hash_.update(p, n);
    const auto* bytes = static_cast<const char*>(p);
    if (buffer_.size() + n > kBuffer) flush();
    if (n >= kBuffer) return write_out(bytes, n);
    buffer_.insert(buffer_.end(), bytes, bytes + n);
  }
  bool finish() {
    const std::uint64_t digest = hash_.digest();
    raw(&digest, sizeof digest);
    flush();
    return ok_;
  }

 private:
  static constexpr size_t kBuffer = size_t{1} << 20;
  void flush() {
    write_out(buffer_.data(), buffer_.size());
    buffer_.clear();
  }
  void write_out(const char* p, size_t n) {
    for (size_t done = 0; ok_ && done < n;) {
      const ssize_t put = ::write(fd_, p + done, n - done);
      if (put < 0 && errno == EINTR) continue;
      if (put <= 0) ok_ = false;
      else done += static_cast<size_t>(put);
    }
  }
  int fd_;
  bool ok_ = true;
  std::vector<char> buffer_;
  Hasher hash_;
};

// Strictly increasing from index 1 on, after the #na# entry `first`.
template <class T>
bool vocabulary_sorted(const std::vector<T>& v, const T& first) {
  if (v.empty() || v[0] != first) return false;
  for (size_t i = 2; i < v.size(); ++i)
    if (!(v[i - 1] < v[i])) return false;
  return true;
}

}  // namespace

std::string parsed_cache_key(const DataSource& s) {
  const std::string ratings = fingerprint(s.ratings_path), movies = fingerprint(s.movies_path);
  if (ratings.empty() || movies.empty()) return "";
  return "format=" + s.format.name + std::to_string(static_cast<int>(s.format.format)) +
         " key=" + (s.item_key == ItemKey::title ? "title" : "movieId") + " ratings=" + ratings + " movies=" + movies;
}

bool parsed_data_is_valid(const DataSource& s, const EncodedRatings& d) {
  const size_t n = d.rating.size();
  if (n == 0 || d.user.size() != n || d.item.size() != n || d.movie_id.size() != n || d.timestamp.size() != n)
    return false;
  const Vocabulary& v = d.vocabulary;
  const auto users = static_cast<std::int32_t>(v.user_ids.size());
  const auto items = static_cast<std::int32_t>(v.item_titles.size());
  if (users < 2 || items < 2 || v.item_movie_ids.size() != v.item_titles.size() || v.item_key != s.item_key) return false;
  // The encoder's vocabularies: sorted distinct users, items sorted by title or by movieId.
  if (!vocabulary_sorted(v.user_ids, -1) || v.user_ids[1] < 0) return false;
  if (v.item_key == ItemKey::title ? !vocabulary_sorted(v.item_titles, std::string("#na#"))
                                   : !vocabulary_sorted(v.item_movie_ids, -1))
    return false;
  if (v.item_movie_ids[0] != -1 || v.item_titles[0] != "#na#") return false;
  for (size_t i = 1; i < v.item_titles.size(); ++i)
    if (v.item_movie_ids[i] < 0 || v.item_titles[i].empty() || !valid_utf8(v.item_titles[i])) return false;
  // Every rating as the parser reads it, every index in range, every user and item used.
  std::vector<char> user_used(static_cast<size_t>(users), 0), item_used(static_cast<size_t>(items), 0);
  const float lo = s.format.min_rating, hi = s.format.max_rating;
  bool ok = true;
  for (size_t r = 0; r < n; ++r) {
    const std::int32_t u = d.user[r], i = d.item[r];
    const float x = d.rating[r];
    ok &= u > 0 && u < users && i > 0 && i < items && x >= lo && x <= hi && d.movie_id[r] >= 0 &&
          (d.has_timestamps || d.timestamp[r] == 0);
    if (!ok) return false;
    user_used[static_cast<size_t>(u)] = item_used[static_cast<size_t>(i)] = 1;
  }
  for (std::int32_t u = 1; u < users; ++u) ok &= user_used[static_cast<size_t>(u)] != 0;
  for (std::int32_t i = 1; i < items; ++i) ok &= item_used[static_cast<size_t>(i)] != 0;
  return ok;
}

std::string parsed_cache_path(const DataSource& s) {
  const std::filesystem::path ratings(s.ratings_path);
  return (ratings.parent_path() / ("." + ratings.filename().string() + ".collab-cache")).string();
}

std::optional<EncodedRatings> read_parsed_cache(const DataSource& s, const std::string& expected_key) {
  if (expected_key.empty()) return std::nullopt;
  const std::string path = parsed_cache_path(s);
  const std::filesystem::path folder = std::filesystem::path(path).parent_path();
  Descriptor in{::open(path.c_str(), O_RDONLY | O_NOFOLLOW | O_NONBLOCK | O_CLOEXEC)};
  struct stat st {};
  if (in.fd < 0 || ::fstat(in.fd, &st) != 0 || !trusted(in.fd, folder.empty() ? "." : folder.string()))
    return std::nullopt;
  Reader r(in.fd, static_cast<std::uint64_t>(st.st_size));
  char magic[sizeof kMagic];
  std::string key;
  if (!r.raw(magic, sizeof magic) || std::memcmp(magic, kMagic, sizeof kMagic) != 0) return std::nullopt;
  if (!r.get_string(key) || key != expected_key) return std::nullopt;
  EncodedRatings d;
  std::vector<char> flags;
  std::vector<std::uint64_t> dropped;
  std::uint64_t titles = 0;
  if (!r.get(flags) || flags.size() != 2 || !r.get(dropped) || dropped.size() != 1) return std::nullopt;
  if (!r.get(d.user) || !r.get(d.item) || !r.get(d.rating) || !r.get(d.movie_id) || !r.get(d.timestamp)) return std::nullopt;
  if (!r.get(d.vocabulary.user_ids) || !r.get(d.vocabulary.item_movie_ids) || !r.raw(&titles, sizeof titles))
    return std::nullopt;
  if (titles > r.left()) return std::nullopt;
  d.vocabulary.item_titles.resize(static_cast<size_t>(titles));
  for (auto& t : d.vocabulary.item_titles)
    if (!r.get_string(t)) return std::nullopt;
  const std::uint64_t body = r.digest();
  std::uint64_t stored = 0;
  if (!r.raw(&stored, sizeof stored) || stored != body || r.left() != 0) return std::nullopt;
  d.has_timestamps = flags[0] != 0;
  d.vocabulary.item_key = flags[1] != 0 ? ItemKey::title : ItemKey::movie_id;
  d.dropped_ratings = static_cast<size_t>(dropped[0]);
  if (!parsed_data_is_valid(s, d)) return std::nullopt;
  return d;
}

bool write_parsed_cache(const DataSource& s, const std::string& key, const EncodedRatings& d) {
  if (key.empty()) return false;
  const std::string path = parsed_cache_path(s);
  const std::string tmp = temporary_name_for(path);
  const std::filesystem::path folder = std::filesystem::path(path).parent_path();
  if (::access(folder.empty() ? "." : folder.c_str(), W_OK) != 0) return false;
  remove_stale_temporaries(folder.empty() ? "." : folder.string(), std::filesystem::path(path).filename().string(), ".tmp.");
  CleanupSection section;
  // Created here and now, never through a link planted under the temporary's name.
  Descriptor out{::open(tmp.c_str(), O_WRONLY | O_CREAT | O_EXCL | O_NOFOLLOW | O_CLOEXEC, 0644)};
  if (out.fd < 0) return false;
  Writer w(out.fd);
  w.raw(kMagic, sizeof kMagic);
  w.put_string(key);
  w.put(std::vector<char>{static_cast<char>(d.has_timestamps), static_cast<char>(d.vocabulary.item_key == ItemKey::title)});
  w.put(std::vector<std::uint64_t>{d.dropped_ratings});
  w.put(d.user);
  w.put(d.item);
  w.put(d.rating);
  w.put(d.movie_id);
  w.put(d.timestamp);
  w.put(d.vocabulary.user_ids);
  w.put(d.vocabulary.item_movie_ids);
  const std::uint64_t titles = d.vocabulary.item_titles.size();
  w.raw(&titles, sizeof titles);
  for (const auto& t : d.vocabulary.item_titles) w.put_string(t);
  // Writable by its owner alone, whatever the umask, or the next run would not trust it.
  bool ok = w.finish() && ::fchmod(out.fd, 0644) == 0 && !stop_requested();
  ok = ok && std::rename(tmp.c_str(), path.c_str()) == 0;
  if (!ok) std::remove(tmp.c_str());
  return ok;
}

}  // namespace collab
