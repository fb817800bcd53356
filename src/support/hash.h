// Fast non-cryptographic 64-bit fingerprints (XXH3, libxxhash) of bytes, columns and whole files:
// what says whether the parsed-data cache still describes its files, whether a model's data
// changed since training, and whether ranks were given the same data. Not a defence against a
// forger; the cache's trust comes from its owner and folder (data/parsed_cache.h).
#pragma once

#include <cstdint>
#include <memory>
#include <string>
#include <vector>

namespace collab {

// A running hash: feed bytes in any pieces, the digest depends only on their concatenation.
class Hasher {
 public:
  Hasher();
  ~Hasher();
  Hasher(const Hasher&) = delete;
  Hasher& operator=(const Hasher&) = delete;
  void update(const void* data, size_t bytes);
  // A column: its length first, so that ([1,2],[3]) and ([1],[2,3]) differ.
  template <class T>
  void column(const std::vector<T>& values) {
    const std::uint64_t n = values.size();
    update(&n, sizeof n);
    update(values.data(), n * sizeof(T));
  }
  void text(const std::string& s) {
    const std::uint64_t n = s.size();
    update(&n, sizeof n);
    update(s.data(), s.size());
  }
  std::uint64_t digest() const;

 private:
  struct State;
  std::unique_ptr<State> state_;
};

// The hash of all of a file's bytes, read through the open descriptor `fd` from its start;
// false when a read fails. About 10 GB/s from the page cache: reading is the cost.
bool hash_file(int fd, std::uint64_t& digest);

// 16 hex digits, as model files and cache keys store a digest.
std::string hex_digest(std::uint64_t digest);

}  // namespace collab
