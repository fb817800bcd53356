// Errors a user can act on, each carrying the exit code `main` returns for it (sysexits).
#pragma once

#include <stdexcept>
#include <string>

namespace collab {

enum class ExitCode : int {
  ok = 0,
  usage = 64,         // EX_USAGE: unknown option, bad value
  data = 65,          // EX_DATAERR: bad input data, corrupt archive, diverged loss
  no_input = 66,      // EX_NOINPUT: an input file is missing
  unavailable = 69,   // EX_UNAVAILABLE: network, HTTP error, no CUDA
  internal = 70,      // EX_SOFTWARE: a bug of ours
  cannot_create = 73, // EX_CANTCREAT: cannot write output
  interrupted = 130,  // 128 + SIGINT; SIGTERM gives 143 and SIGHUP 129 (interrupted_exit_code)
};

// An error whose message is the whole line shown after "collab: error: ".
class Error : public std::runtime_error {
 public:
  Error(ExitCode code, const std::string& message) : std::runtime_error(message), code_(code) {}
  ExitCode code() const { return code_; }

 private:
  ExitCode code_;
};

inline Error usage_error(const std::string& m) { return Error(ExitCode::usage, m); }
inline Error data_error(const std::string& m) { return Error(ExitCode::data, m); }
inline Error missing_input(const std::string& m) { return Error(ExitCode::no_input, m); }
inline Error unavailable(const std::string& m) { return Error(ExitCode::unavailable, m); }
inline Error cannot_write(const std::string& m) { return Error(ExitCode::cannot_create, m); }
inline Error internal_error(const std::string& m) { return Error(ExitCode::internal, m); }

// 128 + the signal that asked collab to stop: 130 for SIGINT (Ctrl-C), 143 for SIGTERM, 129 for
// SIGHUP; 130 when a stop was asked some other way (a test's flag). Defined in interrupt.cpp.
int interrupted_exit_code();

// Thrown when the user asked to stop (Ctrl-C, SIGTERM, SIGHUP); nothing is written after it.
class Interrupted : public Error {
 public:
  Interrupted() : Error(static_cast<ExitCode>(interrupted_exit_code()), "interrupted") {}
};

}  // namespace collab
