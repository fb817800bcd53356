#include "train/distributed.h"

#include <cstdlib>
#include <cstring>
#include <vector>

#include "support/error.h"

namespace collab {
namespace {

int integer_variable(const char* name, int fallback, int lo, int hi) {
  const char* text = std::getenv(name);
  if (!text || !*text) return fallback;
  char* end = nullptr;
  const long value = std::strtol(text, &end, 10);
  if (*end != '\0' || value < lo || value > hi)
    throw usage_error(std::string("environment variable ") + name + "='" + text + "' is not a whole number from " +
                      std::to_string(lo) + " to " + std::to_string(hi));
  return static_cast<int>(value);
}

}  // namespace

DistributedSetup distributed_setup_from_environment(int timeout_seconds) {
  DistributedSetup s;
  s.timeout_seconds = timeout_seconds;
  s.world_size = integer_variable("WORLD_SIZE", 1, 1, 65536);
  s.rank = integer_variable("RANK", 0, 0, 65535);
  s.local_rank = integer_variable("LOCAL_RANK", s.rank, 0, 65535);
  s.local_world_size = integer_variable("LOCAL_WORLD_SIZE", 1, 1, 65536);
  s.master_port = integer_variable("MASTER_PORT", 29500, 1, 65535);
  if (const char* addr = std::getenv("MASTER_ADDR"); addr && *addr) s.master_addr = addr;
  if (const char* dir = std::getenv(store_dir_variable); dir && *dir) s.store_dir = dir;
  if (const char* agent = std::getenv("TORCHELASTIC_USE_AGENT_STORE"); agent && std::strcmp(agent, "True") == 0)
    s.agent_store = true;
  // torchrun restarts a failed group with the same store: each attempt's keys apart, so that the
  // ranks of a restart never read the addresses of the ranks before it.
  s.attempt = integer_variable("TORCHELASTIC_RESTART_COUNT", 0, 0, 1 << 30);
  if (s.rank >= s.world_size)
    throw usage_error("RANK " + std::to_string(s.rank) + " is outside WORLD_SIZE " + std::to_string(s.world_size));
  return s;
}

void check_ranks_agree(Communicator& c, std::uint64_t hash, const std::string& what) {
  float mine[2];
  std::memcpy(mine, &hash, sizeof hash);  // the bits travel as they are: allgather only copies
  std::vector<float> all(2 * static_cast<size_t>(c.world_size()));
  c.allgather(mine, 2, all.data());
  for (int r = 0; r < c.world_size(); ++r) {
    std::uint64_t theirs;
    std::memcpy(&theirs, all.data() + 2 * r, sizeof theirs);
    if (theirs != hash)
      throw data_error("rank " + std::to_string(r) + " was started with other " + what + " than rank " +
                       std::to_string(c.rank()) + ": every rank must get the same options and data");
  }
}

void Communicator::allgather_bytes(const void*, size_t, void*) {
  throw internal_error("this communicator exchanges no bytes");
}
void Communicator::exchange(const void*, size_t, int, void*, size_t, int) {
  throw internal_error("this communicator exchanges no bytes");
}
void Communicator::send(const void*, size_t, int) { throw internal_error("this communicator exchanges no bytes"); }
void Communicator::receive(void*, size_t, int) { throw internal_error("this communicator exchanges no bytes"); }

void Communicator::store_set(const std::string&, const std::string&) {
  throw internal_error("this communicator keeps no store");
}
std::optional<std::string> Communicator::store_get(const std::string&) {
  throw internal_error("this communicator keeps no store");
}
std::int64_t Communicator::store_add(const std::string&, std::int64_t) {
  throw internal_error("this communicator keeps no store");
}

}  // namespace collab
