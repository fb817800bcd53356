// What this processor offers the hand-written kernels: they run AVX2 and FMA code where both are
// present and plain loops elsewhere, chosen at run time (cpu/sparse_adam.h's KernelPath), and
// `collab --version` reports which.
#pragma once

namespace collab {

// Whether the processor running this has both AVX2 and FMA (asked once, then remembered).
bool cpu_has_avx2_and_fma();

}  // namespace collab
