// How many cores this process may run on (its affinity mask, which taskset, cgroups' cpusets and
// container limits set), for every "0: the usable cores" default and for warning about more.
#pragma once

namespace collab {

int usable_cores();

}  // namespace collab
