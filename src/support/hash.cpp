#include "support/hash.h"

#include <unistd.h>

#include <cerrno>
#include <cstdio>

#define XXH_INLINE_ALL  // the hash's code inlined here: no call into the shared library per update
#include <xxhash.h>

namespace collab {

struct Hasher::State {
  XXH3_state_t xxh;
};

Hasher::Hasher() : state_(std::make_unique<State>()) { XXH3_64bits_reset(&state_->xxh); }
Hasher::~Hasher() = default;

void Hasher::update(const void* data, size_t bytes) {
  if (bytes > 0) XXH3_64bits_update(&state_->xxh, data, bytes);
}

std::uint64_t Hasher::digest() const { return XXH3_64bits_digest(&state_->xxh); }

bool hash_file(int fd, std::uint64_t& digest) {
  Hasher h;
  std::vector<char> buffer(size_t{1} << 20);
  for (off_t at = 0;;) {
    const ssize_t got = ::pread(fd, buffer.data(), buffer.size(), at);
    if (got < 0 && errno == EINTR) continue;
    if (got < 0) return false;
    if (got == 0) break;
    h.update(buffer.data(), static_cast<size_t>(got));
    at += got;
  }
  digest = h.digest();
  return true;
}

std::string hex_digest(std::uint64_t digest) {
  char text[17];
  std::snprintf(text, sizeof text, "%016llx", static_cast<unsigned long long>(digest));
  return text;
}

}  // namespace collab
