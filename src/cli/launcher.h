// `collab train --nproc N`: starts N local ranks of this very command, as torchrun would, and waits
// for them. They meet through a FileStore in a private (0700) folder and exchange over Gloo on
// 127.0.0.1, so nothing listens on another address. A rank that fails stops the others; Ctrl-C (or
// SIGTERM) reaches every rank; the launcher ends with the first failing rank's exit code. A rank
// never outlives the launcher: however it ends, even by SIGKILL, the kernel kills its ranks.
#pragma once

namespace collab::cli {

// The command line as main received it, for the launcher to run again.
void remember_command_line(int argc, char** argv);

// Runs the remembered command N times with RANK, WORLD_SIZE, LOCAL_RANK, MASTER_ADDR and
// MASTER_PORT set and --nproc removed (and --seed `seed` added when it had none, so that every
// rank draws the same); returns when all have ended. Throws the first failure's exit code as an
// Error, or Interrupted.
void launch_local_ranks(int nproc, unsigned long long seed);

// In a rank that launch_local_ranks started: whether its launcher has ended (the rank should be
// dead by then; this is checked once more before the model replaces an earlier one). false in any
// other process.
bool launcher_is_gone();

}  // namespace collab::cli
