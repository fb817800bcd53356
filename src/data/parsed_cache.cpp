#include "data/parsed_cache.h"

#include <sys/stat.h>
#include <unistd.h>

#include <cstdio>
#include <cstring>
#include <filesystem>
#include <fstream>
#include <string>

#include "support/files.h"
#include "support/interrupt.h"

namespace collab {
namespace {

constexpr char kMagic[8] = {'C', 'O', 'L', 'C', 'A', 'C', 'H', '1'};

// A cheap fingerprint of a source file: size, modification time, and a hash of its first and
// last 64 KiB (what changes when a file is replaced by another of the same size and time).
std::string fingerprint(const std::string& path) {
  struct stat st {};
  if (::stat(path.c_str(), &st) != 0 || !S_ISREG(st.st_mode)) return "";  // never open a FIFO or device
  std::string key = std::to_string(st.st_size) + ":" + std::to_string(st.st_mtim.tv_sec) + "." +
                    std::to_string(st.st_mtim.tv_nsec) + ":";
  std::ifstream in(path, std::ios::binary);
  std::uint64_t h = 1469598103934665603ull;  // FNV-1a
  std::string buf(65536, '\0');
  for (std::streamoff at : {std::streamoff(0), std::max<std::streamoff>(0, st.st_size - 65536)}) {
    in.clear();
    in.seekg(at);
    in.read(buf.data(), static_cast<std::streamsize>(buf.size()));
    for (std::streamsize i = 0; i < in.gcount(); ++i) h = (h ^ static_cast<unsigned char>(buf[static_cast<size_t>(i)])) * 1099511628211ull;
  }
  return key + std::to_string(h);
}

}  // namespace

// Empty when a source is not a regular file: then there is no cache, and the loader explains.
std::string parsed_cache_key(const DataSource& s) {
  const std::string ratings = fingerprint(s.ratings_path), movies = fingerprint(s.movies_path);
  if (ratings.empty() || movies.empty()) return "";
  return "format=" + s.format.name + std::to_string(static_cast<int>(s.format.format)) +
         " key=" + (s.item_key == ItemKey::title ? "title" : "movieId") + " ratings=" + ratings + " movies=" + movies;
}

namespace {

template <class T>
void put(std::ofstream& out, const std::vector<T>& v) {
  const std::uint64_t n = v.size();
  out.write(reinterpret_cast<const char*>(&n), sizeof n);
  out.write(reinterpret_cast<const char*>(v.data()), static_cast<std::streamsize>(n * sizeof(T)));
}
void put_string(std::ofstream& out, const std::string& s) { put(out, std::vector<char>(s.begin(), s.end())); }

// Reads back what put wrote, refusing counts the rest of the file cannot hold.
class Reader {
 public:
  Reader(std::ifstream& in, std::uint64_t size) : in_(in), left_(size) {}
  template <class T>
  bool get(std::vector<T>& v) {
    std::uint64_t n = 0;
    if (!raw(&n, sizeof n) || n > left_ / sizeof(T)) return false;
    v.resize(static_cast<size_t>(n));
    return raw(v.data(), static_cast<size_t>(n) * sizeof(T));
  }
  bool get_string(std::string& s) {
    std::vector<char> c;
    if (!get(c)) return false;
    s.assign(c.begin(), c.end());
    return true;
  }
  bool raw(void* p, size_t n) {
    if (n > left_) return false;
    in_.read(static_cast<char*>(p), static_cast<std::streamsize>(n));
    left_ -= n;
    return static_cast<bool>(in_);
  }
  std::uint64_t left() const { return left_; }

 private:
  std::ifstream& in_;
  std::uint64_t left_;
};

// Every index within its vocabulary and every column as long as the ratings: what the later
// stages rely on, checked in one pass over the columns.
bool consistent(const EncodedRatings& d) {
  const size_t n = d.rating.size();
  if (d.user.size() != n || d.item.size() != n || d.movie_id.size() != n || d.timestamp.size() != n) return false;
  const auto users = static_cast<std::int32_t>(d.vocabulary.user_ids.size());
  const auto items = static_cast<std::int32_t>(d.vocabulary.item_titles.size());
  if (users < 2 || items < 2 || d.vocabulary.item_movie_ids.size() != d.vocabulary.item_titles.size()) return false;
  bool ok = true;
  for (size_t r = 0; r < n; ++r) ok &= d.user[r] > 0 && d.user[r] < users && d.item[r] > 0 && d.item[r] < items;
  return ok;
}

}  // namespace

std::string parsed_cache_path(const DataSource& s) {
  const std::filesystem::path ratings(s.ratings_path);
  return (ratings.parent_path() / ("." + ratings.filename().string() + ".collab-cache")).string();
}

std::optional<EncodedRatings> read_parsed_cache(const DataSource& s, const std::string& expected_key) {
  if (expected_key.empty()) return std::nullopt;
  const std::string path = parsed_cache_path(s);
  struct stat st {};
  if (::stat(path.c_str(), &st) != 0 || !S_ISREG(st.st_mode)) return std::nullopt;
  std::ifstream in(path, std::ios::binary);
  Reader r(in, static_cast<std::uint64_t>(st.st_size));
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
  if (r.left() != 0) return std::nullopt;
  d.has_timestamps = flags[0] != 0;
  d.vocabulary.item_key = flags[1] != 0 ? ItemKey::title : ItemKey::movie_id;
  d.dropped_ratings = static_cast<size_t>(dropped[0]);
  if (d.vocabulary.item_key != s.item_key || !consistent(d)) return std::nullopt;
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
  bool ok;
  {
    std::ofstream out(tmp, std::ios::binary | std::ios::trunc);
    out.write(kMagic, sizeof kMagic);
    put_string(out, key);
    put(out, std::vector<char>{static_cast<char>(d.has_timestamps), static_cast<char>(d.vocabulary.item_key == ItemKey::title)});
    put(out, std::vector<std::uint64_t>{d.dropped_ratings});
    put(out, d.user);
    put(out, d.item);
    put(out, d.rating);
    put(out, d.movie_id);
    put(out, d.timestamp);
    put(out, d.vocabulary.user_ids);
    put(out, d.vocabulary.item_movie_ids);
    const std::uint64_t titles = d.vocabulary.item_titles.size();
    out.write(reinterpret_cast<const char*>(&titles), sizeof titles);
    for (const auto& t : d.vocabulary.item_titles) put_string(out, t);
    out.close();
    ok = static_cast<bool>(out) && !stop_requested();
  }
  ok = ok && std::rename(tmp.c_str(), path.c_str()) == 0;
  if (!ok) std::remove(tmp.c_str());
  return ok;
}

}  // namespace collab
