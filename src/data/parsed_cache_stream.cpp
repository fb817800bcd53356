#include "data/parsed_cache_stream.h"

#include <fcntl.h>
#include <sys/stat.h>
#include <unistd.h>

#include <algorithm>
#include <cerrno>
#include <cstring>
#include <filesystem>
#include <optional>
#include <vector>

#include "data/parsed_cache.h"
#include "data/parsed_columns_check.h"
#include "support/error.h"
#include "support/hash.h"

namespace collab {
namespace {

constexpr size_t kChunkBytes = size_t{1} << 22;

// Whether a cache opened as `fd` in `folder` may be believed: a file of the user running collab,
// or of root in a folder no one else can write, that no one but its owner can change.
bool trusted(int fd, const std::string& folder) {
  struct stat st {}, dir {};
  if (::fstat(fd, &st) != 0 || !S_ISREG(st.st_mode) || (st.st_mode & (S_IWGRP | S_IWOTH)) != 0) return false;
  if (st.st_uid == ::geteuid()) return true;
  return st.st_uid == 0 && ::stat(folder.c_str(), &dir) == 0 && (dir.st_mode & (S_IWGRP | S_IWOTH)) == 0;
}

bool read_at(int fd, void* p, size_t n, std::uint64_t at) {
  auto* out = static_cast<char*>(p);
  for (size_t done = 0; done < n;) {
    const ssize_t got = ::pread(fd, out + done, n - done, static_cast<off_t>(at + done));
    if (got < 0 && errno == EINTR) continue;
    if (got <= 0) return false;
    done += static_cast<size_t>(got);
  }
  return true;
}

// Reads the file in order from `pos`, refusing counts the rest of it cannot hold, and hashing
// what it reads when given a Hasher.
struct Cursor {
  int fd;
  std::uint64_t pos, end;
  Hasher* hash = nullptr;

  bool read(void* p, size_t n) {
    if (n > end - pos || !read_at(fd, p, n, pos)) return false;
    if (hash) hash->update(p, n);
    pos += n;
    return true;
  }
  bool count(std::uint64_t& n, size_t size) { return read(&n, sizeof n) && n <= (end - pos) / size; }
  template <class T>
  bool get(std::vector<T>& v) {
    std::uint64_t n = 0;
    if (!count(n, sizeof(T))) return false;
    v.resize(static_cast<size_t>(n));
    return read(v.data(), v.size() * sizeof(T));
  }
  bool get(std::string& s) {
    std::uint64_t n = 0;
    if (!count(n, 1)) return false;
    s.resize(static_cast<size_t>(n));
    return read(s.data(), s.size());
  }
  bool skip(std::uint64_t bytes) {  // read (and hashed) all the same
    std::vector<char> buffer(static_cast<size_t>(std::min<std::uint64_t>(bytes, kChunkBytes)));
    for (std::uint64_t left = bytes; left > 0;) {
      const auto n = static_cast<size_t>(std::min<std::uint64_t>(left, buffer.size()));
      if (!read(buffer.data(), n)) return false;
      left -= n;
    }
    return true;
  }
};

// A column of `n` values: its count, then its values into `whole` or through a buffer, each chunk
// checked.
template <class T, class Check>
bool read_column(Cursor& c, size_t n, std::vector<T>* whole, Check check) {
  std::uint64_t count = 0;
  if (!c.read(&count, sizeof count) || count != n) return false;
  std::vector<T> buffer;
  std::vector<T>& into = whole ? *whole : buffer;
  into.resize(whole ? n : std::min(n, kChunkBytes / sizeof(T)));
  for (size_t first = 0; first < n; first += into.size()) {
    const size_t k = std::min(into.size(), n - first);
    if (!c.read(into.data() + (whole ? first : 0), k * sizeof(T))) return false;
    check(into.data() + (whole ? first : 0), k);
  }
  return true;
}

// What a cache file holds where: read before any value is checked.
struct CacheLayout {
  std::uint64_t columns_at = 0, starts[5] = {}, rows = 0;  // user, item, rating, movie_id, timestamp
  bool has_timestamps = true;
  std::uint64_t dropped = 0;
  Vocabulary vocabulary;
};

// The header under `key`, where each column starts, and the vocabularies.
std::optional<CacheLayout> read_layout(int fd, std::uint64_t size, const std::string& key) {
  Cursor c{fd, 0, size};
  char magic[sizeof kParsedCacheMagic];
  std::string stored_key;
  std::vector<char> flags;
  std::vector<std::uint64_t> dropped;
  if (!c.read(magic, sizeof magic) || std::memcmp(magic, kParsedCacheMagic, sizeof magic) != 0) return std::nullopt;
  if (!c.get(stored_key) || stored_key != key || !c.get(flags) || flags.size() != 2 || !c.get(dropped) ||
      dropped.size() != 1)
    return std::nullopt;
  CacheLayout l;
  l.columns_at = c.pos;
  const size_t sizes[5] = {4, 4, 4, 4, 8};
  for (int k = 0; k < 5; ++k) {
    std::uint64_t m = 0;
    if (!c.count(m, sizes[k]) || (k > 0 && m != l.rows)) return std::nullopt;
    l.rows = m;
    l.starts[k] = c.pos;
    c.pos += m * sizes[k];
  }
  Vocabulary& v = l.vocabulary;
  v.item_key = flags[1] != 0 ? ItemKey::title : ItemKey::movie_id;
  std::uint64_t titles = 0;
  if (!c.get(v.user_ids) || !c.get(v.item_movie_ids) || !c.read(&titles, sizeof titles) || titles > c.end - c.pos)
    return std::nullopt;
  v.item_titles.resize(static_cast<size_t>(titles));
  for (auto& t : v.item_titles)
    if (!c.get(t)) return std::nullopt;
  if (c.end - c.pos != sizeof(std::uint64_t)) return std::nullopt;
  l.has_timestamps = flags[0] != 0;
  l.dropped = dropped[0];
  return l;
}

// Every byte hashed in order against the stored checksum, every value checked on the way, the
// columns read into `whole` when given.
bool verify_body(int fd, std::uint64_t size, const CacheLayout& l, ParsedColumnsCheck& check, EncodedRatings* w) {
  Hasher hash;
  Cursor h{fd, 0, size - sizeof(std::uint64_t), &hash};
  const auto rows = static_cast<size_t>(l.rows);
  const bool ts = l.has_timestamps;
  if (!h.skip(l.columns_at) ||
      !read_column(h, rows, w ? &w->user : nullptr, [&](auto* p, size_t k) { check.users(p, k); }) ||
      !read_column(h, rows, w ? &w->item : nullptr, [&](auto* p, size_t k) { check.items(p, k); }) ||
      !read_column(h, rows, w ? &w->rating : nullptr, [&](auto* p, size_t k) { check.ratings(p, k); }) ||
      !read_column(h, rows, w ? &w->movie_id : nullptr, [&](auto* p, size_t k) { check.movie_ids(p, k); }) ||
      !read_column(h, rows, w ? &w->timestamp : nullptr, [&](auto* p, size_t k) { check.timestamps(p, k, ts); }) ||
      !h.skip(h.end - h.pos))
    return false;
  std::uint64_t stored = 0;
  return read_at(fd, &stored, sizeof stored, h.end) && stored == hash.digest() && check.ok();
}

}  // namespace

ParsedCacheStream::~ParsedCacheStream() {
  if (fd_ >= 0) ::close(fd_);
}

std::unique_ptr<ParsedCacheStream> ParsedCacheStream::open(const DataSource& source, const std::string& key,
                                                           EncodedRatings* whole) {
  if (key.empty()) return nullptr;
  std::unique_ptr<ParsedCacheStream> s(new ParsedCacheStream);
  s->path_ = parsed_cache_path(source);
  const std::filesystem::path folder = std::filesystem::path(s->path_).parent_path();
  s->fd_ = ::open(s->path_.c_str(), O_RDONLY | O_NOFOLLOW | O_NONBLOCK | O_CLOEXEC);
  struct stat st {};
  if (s->fd_ < 0 || ::fstat(s->fd_, &st) != 0 || !trusted(s->fd_, folder.empty() ? "." : folder.string()))
    return nullptr;
  const auto size = static_cast<std::uint64_t>(st.st_size);
  std::optional<CacheLayout> layout = read_layout(s->fd_, size, key);
  if (!layout) return nullptr;
  ParsedColumnsCheck check(source, static_cast<size_t>(layout->rows));
  if (!check.vocabulary(layout->vocabulary) || !verify_body(s->fd_, size, *layout, check, whole)) return nullptr;
  s->rows_ = static_cast<size_t>(layout->rows);
  s->has_timestamps_ = layout->has_timestamps;
  s->dropped_ = static_cast<size_t>(layout->dropped);
  s->user_at_ = layout->starts[0];
  s->item_at_ = layout->starts[1];
  s->rating_at_ = layout->starts[2];
  s->vocabulary_ = std::move(layout->vocabulary);
  if (whole) {
    whole->has_timestamps = s->has_timestamps_;
    whole->dropped_ratings = s->dropped_;
    whole->vocabulary = s->vocabulary_;
  }
  return s;
}

void ParsedCacheStream::for_each_chunk(const Chunk& fn, size_t chunk) const {
  chunk = std::max<size_t>(chunk, 1);
  std::vector<std::int32_t> user(std::min(chunk, rows_)), item(user.size());
  std::vector<float> rating(user.size());
  for (size_t first = 0; first < rows_; first += chunk) {
    const size_t n = std::min(chunk, rows_ - first);
    if (!read_at(fd_, user.data(), n * 4, user_at_ + first * 4) || !read_at(fd_, item.data(), n * 4, item_at_ + first * 4) ||
        !read_at(fd_, rating.data(), n * 4, rating_at_ + first * 4))
      throw data_error("cannot read " + path_ + " again (" + std::strerror(errno) + ")");
    fn(first, n, user.data(), item.data(), rating.data());
  }
}

}  // namespace collab
