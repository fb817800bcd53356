// Ctrl-C: the first one asks long work to stop at the next safe point, the second ends the process.
#pragma once

#include <atomic>

namespace collab {

std::atomic<bool>& stop_requested();
void install_interrupt_handler();

}  // namespace collab
