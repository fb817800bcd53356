// Errors a user can act on, each carrying the exit code `main` returns for it (sysexits): the
// public collab::Error (include/collab/error.h) and the shorthands that make one.
#pragma once

#include <string>

#include "collab/error.h"  // ExitCode and Error: the public API's exception is the one used inside

namespace collab {

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
