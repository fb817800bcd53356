#include "data/parsed_cache.h"

#include <fcntl.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cerrno>
#include <cstdio>
#include <cstring>
#include <filesystem>
#include <string>

#include "data/parsed_cache_stream.h"
#include "data/parsed_columns_check.h"
#include "support/files.h"
#include "support/hash.h"
#include "support/interrupt.h"

namespace collab {
namespace {

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

}  // namespace

std::string parsed_cache_key(const DataSource& s) {
  const std::string ratings = fingerprint(s.ratings_path), movies = fingerprint(s.movies_path);
  if (ratings.empty() || movies.empty()) return "";
  return "format=" + s.format.name + std::to_string(static_cast<int>(s.format.format)) +
         " key=" + (s.item_key == ItemKey::title ? "title" : "movieId") + " ratings=" + ratings + " movies=" + movies;
}

bool parsed_data_is_valid(const DataSource& s, const EncodedRatings& d) {
  const size_t n = d.rating.size();
  if (d.user.size() != n || d.item.size() != n || d.movie_id.size() != n || d.timestamp.size() != n) return false;
  ParsedColumnsCheck check(s, n);
  if (!check.vocabulary(d.vocabulary)) return false;
  check.users(d.user.data(), n);
  check.items(d.item.data(), n);
  check.ratings(d.rating.data(), n);
  check.movie_ids(d.movie_id.data(), n);
  check.timestamps(d.timestamp.data(), n, d.has_timestamps);
  return check.ok();
}

std::string parsed_cache_path(const DataSource& s) {
  const std::filesystem::path ratings(s.ratings_path);
  return (ratings.parent_path() / ("." + ratings.filename().string() + ".collab-cache")).string();
}

std::optional<EncodedRatings> read_parsed_cache(const DataSource& s, const std::string& expected_key) {
  EncodedRatings d;
  if (!ParsedCacheStream::open(s, expected_key, &d)) return std::nullopt;
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
  w.raw(kParsedCacheMagic, sizeof kParsedCacheMagic);
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
