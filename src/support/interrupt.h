// SIGINT (Ctrl-C), SIGTERM and SIGHUP. By default a signal ends the process at once with 128 +
// the signal (130, 143, 129). A verb that checks stop_requested() at safe points (training,
// downloading) calls stop_at_safe_points(): then the first signal asks it to stop there and the
// second ends the process at once. Either way, while a temporary is on disk (CleanupSection in
// files.h) the process is not ended: the writer sees the request, removes its temporary and
// throws Interrupted, so that no interrupted run leaves debris.
#pragma once

#include <atomic>

namespace collab {

std::atomic<bool>& stop_requested();

// Installs the handler for the three signals; `main` calls it first thing.
void install_interrupt_handler();
// The calling verb stops at safe points: the first signal only sets stop_requested().
void stop_at_safe_points();

// How many CleanupSections are open now (files.cpp opens and closes them).
std::atomic<int>& open_cleanup_sections();

}  // namespace collab
