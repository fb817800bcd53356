// Training across processes on PyTorch's c10d, launched as torchrun launches (RANK, WORLD_SIZE,
// LOCAL_RANK, MASTER_ADDR, MASTER_PORT) or by `train --nproc N`, in one of two modes
// (docs/distributed.md):
//   replicate: every rank holds the whole model and its optimizer state, computes the errors
//     (d loss / d score) of its share of each global batch, and the ranks exchange those errors,
//     four bytes a rating; each then computes every rating's gradient in global batch order,
//     exactly as one process does: N ranks end where one process ends, bit for bit.
//   shard (cpu/shard_plan.h): each rank owns 1/N of the users and items with their Adam state and
//     ratings; item blocks move between ranks between sub-epochs, nothing moves per step.
// The c10d code lives in the LibTorch plugin (Communicator), so that a one-process run never
// loads LibTorch.
#pragma once

#include <cstddef>
#include <cstdint>
#include <optional>
#include <string>

namespace collab {

struct DistributedSetup {
  int rank = 0;
  int world_size = 1;
  int local_rank = 0;
  std::string master_addr = "127.0.0.1";
  int master_port = 29500;
  bool agent_store = false;  // torchrun's agent already runs the store: every rank is a client
  int attempt = 0;           // torchrun's restarts of the group so far (TORCHELASTIC_RESTART_COUNT)
  // Not empty: the ranks meet through a FileStore in this private folder instead of a TCP store on
  // MASTER_PORT (`--nproc` sets it, from store_dir_variable).
  std::string store_dir;
  int timeout_seconds = 60;  // --dist-timeout: a rank that dies or never comes is an error by then
  int local_world_size = 1;  // LOCAL_WORLD_SIZE: the ranks on this machine (torchrun and --nproc set it)
  bool active() const { return world_size > 1; }
};

// The environment variable that names DistributedSetup::store_dir.
inline constexpr char store_dir_variable[] = "COLLAB_STORE_DIR";

// From torchrun's environment variables (and store_dir_variable); world_size 1 when they are
// absent. A usage error for a value that does not parse or a rank outside the world.
DistributedSetup distributed_setup_from_environment(int timeout_seconds);

// What data-parallel training needs of its processes. Errors (a rank gone, a timeout) are
// ExitCode::unavailable.
class Communicator {
 public:
  virtual ~Communicator() = default;
  virtual int rank() const = 0;
  virtual int world_size() const = 0;
  // Every rank's `count` floats, rank by rank, into `all` (world_size * count floats).
  virtual void allgather(const float* mine, size_t count, float* all) = 0;
  virtual void barrier() = 0;
  // Sharded training (--dist shard): bytes as they are. Every rank's `bytes`, rank by rank, into
  // `all`; `bytes` to rank `to` while `in_bytes` arrive from rank `from` (either may be this rank,
  // which copies); and one way, send and receive.
  // A communicator without them (a test's) throws ExitCode::internal.
  virtual void allgather_bytes(const void* mine, size_t bytes, void* all);
  virtual void exchange(const void* out, size_t out_bytes, int to, void* in, size_t in_bytes, int from);
  virtual void send(const void* out, size_t bytes, int to);
  virtual void receive(void* in, size_t bytes, int from);

  // What the exchanges cost so far: for the report at the end of training and the benchmark.
  struct Traffic {
    std::uint64_t calls = 0;
    std::uint64_t bytes_sent = 0;  // this rank's own bytes
    double seconds = 0;
  };
  virtual Traffic traffic() const = 0;

  // The key-value store the ranks met through (c10d's), for work the ranks hand out among
  // themselves rather than exchange in step: `collab tune`'s queue of trials (train/trial_queue.h).
  // Keys live apart from c10d's own; any thread may call these. A store that cannot be reached is
  // ExitCode::unavailable; a communicator without a store (a test's) throws ExitCode::internal.
  virtual void store_set(const std::string& key, const std::string& value);
  // The value, or none when the key is absent; never waits for it.
  virtual std::optional<std::string> store_get(const std::string& key);
  // Adds `amount` to the whole number at `key` (0 when absent) and returns the sum, atomically
  // across the ranks. store_get reads it back as decimal text.
  virtual std::int64_t store_add(const std::string& key, std::int64_t amount);
};

// Throws ExitCode::data unless every rank passes the same `hash` (of its options and data).
void check_ranks_agree(Communicator& communicator, std::uint64_t hash, const std::string& what);

}  // namespace collab
