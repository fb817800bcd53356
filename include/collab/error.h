// collab's one exception type. Every failure of the library is a collab::Error; its code() is the
// exit status the collab command returns for the same failure (sysexits), its what() one line
// that names the file, line and field where input was at fault.
#pragma once

#include <stdexcept>
#include <string>

#if defined(__GNUC__)
#define COLLAB_API __attribute__((visibility("default")))
#else
#define COLLAB_API
#endif

namespace collab {

enum class ExitCode : int {
  ok = 0,
  usage = 64,          // EX_USAGE: an unknown option or a bad value
  data = 65,           // EX_DATAERR: bad input data, a corrupt archive or model, a diverged loss
  no_input = 66,       // EX_NOINPUT: an input file is missing
  unavailable = 69,    // EX_UNAVAILABLE: network, HTTP error, no CUDA
  internal = 70,       // EX_SOFTWARE: a bug of ours
  cannot_create = 73,  // EX_CANTCREAT: an output cannot be written
  interrupted = 130,   // 128 + SIGINT; SIGTERM gives 143 and SIGHUP 129
};

class COLLAB_API Error : public std::runtime_error {
 public:
  Error(ExitCode code, const std::string& message) : std::runtime_error(message), code_(code) {}
  ExitCode code() const { return code_; }

 private:
  ExitCode code_;
};

}  // namespace collab
