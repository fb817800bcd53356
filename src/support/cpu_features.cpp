#include "support/cpu_features.h"

namespace collab {

bool cpu_has_avx2_and_fma() {
  static const bool has = [] {
    __builtin_cpu_init();
    return __builtin_cpu_supports("avx2") && __builtin_cpu_supports("fma");
  }();
  return has;
}

}  // namespace collab
