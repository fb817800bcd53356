// The ranks' store without LibTorch, for work that the ranks hand out among themselves through a
// store and never exchange in step: `collab tune --nproc N` (train/trial_queue.h). Every rank is
// on one machine and meets the others in the launcher's private folder (DistributedSetup's
// store_dir), as c10d's FileStore does, in the same file and format (LibTorch 1.13's): records
// appended to STORE_DIR/store, each a key and a value after a 4-byte little-endian length, the
// last record of a key winning, one writer at a time under flock(); the last rank to close it
// removes it. So tools that read a FileStore (tests/e2e/kill_in_trial.py) read this one.
//
// Why not c10d's own: a rank that loads the LibTorch plugin only for its store pays for loading
// LibTorch, about 0.4 CPU-seconds with Debian's (which brings 287 shared libraries: the dynamic
// linker's symbol lookups, then LibTorch's operator registrations), and a Gloo group it never
// uses; on a machine whose cores the trials keep busy, that is the search's time.
#pragma once

#include <memory>

#include "train/distributed.h"

namespace collab {

// A Communicator of store_*, and of allgather and barrier through the store (which wait for every
// rank at most setup.timeout_seconds: the ranks meet there); it exchanges nothing else (throws
// ExitCode::internal). setup.store_dir must not be empty. Errors: ExitCode::unavailable.
std::unique_ptr<Communicator> connect_file_store(const DistributedSetup& setup);

}  // namespace collab
