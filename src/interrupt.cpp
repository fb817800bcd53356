#include "collab/interrupt.h"

#include <csignal>
#include <cstdlib>
#include <unistd.h>

namespace collab {

std::atomic<bool>& stop_requested() {
  static std::atomic<bool> flag{false};
  return flag;
}

namespace {
extern "C" void on_sigint(int) {
  if (stop_requested().exchange(true)) _exit(130);  // a second Ctrl-C: stop at once
}
}  // namespace

void install_interrupt_handler() {
  struct sigaction sa {};
  sa.sa_handler = on_sigint;
  sigemptyset(&sa.sa_mask);
  sigaction(SIGINT, &sa, nullptr);
}

}  // namespace collab
