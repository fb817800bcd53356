#include "support/interrupt.h"

#include <unistd.h>

#include <csignal>

#include "support/error.h"

namespace collab {
namespace {

std::atomic<int>& signal_received() {
  static std::atomic<int> sig{0};
  return sig;
}

std::atomic<bool>& has_safe_points() {
  static std::atomic<bool> cooperative{false};
  return cooperative;
}

extern "C" void on_stop_signal(int sig) {
  int none = 0;
  signal_received().compare_exchange_strong(none, sig);
  // Without safe points, or at a second signal, the process ends at once, unless a temporary is
  // on disk: then the code that made it sees the stop request when its short write ends and
  // unwinds, removing it.
  const bool asked_before = stop_requested().exchange(true);
  if ((asked_before || !has_safe_points().load()) && open_cleanup_sections().load() == 0) _exit(128 + sig);
}

}  // namespace

std::atomic<bool>& stop_requested() {
  static std::atomic<bool> flag{false};
  return flag;
}

std::atomic<int>& open_cleanup_sections() {
  static std::atomic<int> count{0};
  return count;
}

int interrupted_exit_code() {
  const int sig = signal_received().load();
  return sig > 0 ? 128 + sig : static_cast<int>(ExitCode::interrupted);
}

void install_interrupt_handler() {
  struct sigaction sa {};
  sa.sa_handler = on_stop_signal;
  sa.sa_flags = SA_RESTART;  // reads and writes carry on; the flag is what asks to stop
  sigemptyset(&sa.sa_mask);
  for (int sig : {SIGINT, SIGTERM, SIGHUP}) sigaction(sig, &sa, nullptr);
}

void stop_at_safe_points() { has_safe_points().store(true); }

}  // namespace collab
