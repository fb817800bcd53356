// `collab train --nproc N`: starts N local ranks of this very command, as torchrun would, and waits
// for them. They meet through a FileStore in a private (0700) folder and exchange over Gloo on
// 127.0.0.1, so nothing listens on another address. A rank that fails stops the others; Ctrl-C (or
// SIGTERM) reaches every rank; the launcher ends with the first failing rank's exit code. A rank
// never outlives the launcher: however it ends, even by SIGKILL, the kernel kills its ranks.
#pragma once

namespace collab {
struct TrainingRequest;
}

namespace collab::cli {

// The command line as main received it, for the launcher to run again.
void remember_command_line(int argc, char** argv);

// What a rank killed by a signal means: the end of the run (train: each step needs every rank),
// or, for a rank other than 0, work the others take over (tune: they run its trials again).
enum class LostRank { stops_all, others_go_on };

// Runs the remembered command N times with RANK, WORLD_SIZE, LOCAL_RANK, LOCAL_WORLD_SIZE,
// MASTER_ADDR and MASTER_PORT set and --nproc removed (and --seed `seed` added when it had none,
// so that every rank draws the same); returns when all have ended. Throws the first failure's exit
// code as an Error (a killed rank's too, unless `lost` lets the others go on), or Interrupted.
void launch_local_ranks(int nproc, unsigned long long seed, LostRank lost = LostRank::stops_all);

// Every rank reads the data itself: a usage error (naming --nproc) when an input is a pipe or '-'.
void require_file_inputs(const TrainingRequest& request);

// In a rank that launch_local_ranks started: whether its launcher has ended (the rank should be
// dead by then; this is checked once more before the model replaces an earlier one). false in any
// other process.
bool launcher_is_gone();

}  // namespace collab::cli
