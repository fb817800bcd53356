// Every file collab reads or writes goes through here, so that the promises hold in one place:
// special files (directories, FIFOs, devices, sockets) never reach a reader or get replaced by a
// rename; outputs appear whole or not at all; and temporaries never outlive their writer, not
// even one killed with SIGKILL (the next writer into the same folder removes them).
#pragma once

#include <istream>
#include <memory>
#include <string>

namespace collab {

// Throws unless `path` is a regular file (symbolic links followed): missing is ExitCode::no_input
// ("no such file"); a directory, FIFO, character or block device or socket is ExitCode::no_input
// saying what it is. Checked before opening, since opening a FIFO would block. `what` names the
// input in the message ("model file", "ratings file").
void require_regular_input(const std::string& path, const std::string& what);

// A data input (ratings, movies, validation ratings, a person's ratings) read once from its start,
// as `cat` reads it: a regular file, or a stream: `-` (standard input, at most once a process), a
// pipe or FIFO (`--ratings <(zcat ratings.csv.gz)`, /dev/stdin) or a character device. Missing,
// a directory, a block device or a socket: ExitCode::no_input saying what it is. A stream that
// is not CSV (/dev/zero) ends at the parser's first error: its line-length limit bounds memory.
std::unique_ptr<std::istream> open_input_stream(const std::string& path, const std::string& what);
// Whether `path` is a stream rather than a regular file: read once, never cached or re-read.
bool is_stream_input(const std::string& path);
// What messages call an input: its path, or "standard input" for `-`.
std::string input_name(const std::string& path);

// The whole of a regular file, after require_regular_input.
std::string read_input_file(const std::string& path, const std::string& what);

// Throws ExitCode::cannot_create when `path` exists and is not a regular file (a rename would
// replace /dev/null or a FIFO), or when its folder does not exist or is not a folder. Verbs call
// it before long work, so that a run fails before training rather than after.
void require_replaceable_output(const std::string& path, const std::string& what);

// The temporary name a writer uses for `path`: "<path>.tmp.<pid>".
std::string temporary_name_for(const std::string& path);


// Removes "<base><marker><pid>" entries in `folder` (files or folders) whose process is gone:
// what a writer killed with SIGKILL left. A pid that was reused by a live process keeps its
// entry until a later run. Errors are ignored: this is housekeeping.
void remove_stale_temporaries(const std::string& folder, const std::string& base, const std::string& marker);

// Marks a stretch of code that has a temporary on disk: a second Ctrl-C (or SIGTERM) then waits
// for the stretch to end, so that its cleanup runs, instead of ending the process at once.
class CleanupSection {
 public:
  CleanupSection();
  ~CleanupSection();
  CleanupSection(const CleanupSection&) = delete;
  CleanupSection& operator=(const CleanupSection&) = delete;
};

// Writes `contents` to `path` through a temporary file renamed into place, so a reader never sees
// a half-written file and an old file survives a failed or interrupted write.
void write_file_atomically(const std::string& path, const std::string& contents);

// An output written whole to its temporary name at once and renamed into place by commit();
// removed if never committed. A verb with two outputs (a model and its plot) stages both
// before replacing either, so that a failure leaves every earlier output as it was.
class StagedFile {
 public:
  StagedFile(std::string path, const std::string& contents);  // throws cannot_create, Interrupted
  ~StagedFile();
  void commit();
  StagedFile(const StagedFile&) = delete;
  StagedFile& operator=(const StagedFile&) = delete;

 private:
  std::string path_, tmp_;
  bool committed_ = false;
  CleanupSection section_;
};

// An exclusive lock (flock) on a path, held for the object's life and released with the process:
// a folder is locked on itself (no lock file is left behind), anything else is a lock file,
// created if missing (never through a link). When another process holds it: `wait` says `busy`
// on stderr once and waits; `fail` throws ExitCode::cannot_create with `busy` as its message.
class ExclusiveLock {
 public:
  enum class IfHeld { wait, fail };
  ExclusiveLock(const std::string& path, IfHeld if_held, const std::string& busy);
  ~ExclusiveLock();
  ExclusiveLock(const ExclusiveLock&) = delete;
  ExclusiveLock& operator=(const ExclusiveLock&) = delete;

 private:
  int fd_ = -1;
};

}  // namespace collab
