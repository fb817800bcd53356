#include "data/data_dir.h"

#include <cstdlib>

namespace collab {

std::string resolve_data_dir(const std::string& from_option) {
  if (!from_option.empty()) return from_option;
  if (const char* env = std::getenv("COLLAB_DATA_DIR"); env && *env) return env;
  return "data";
}

}  // namespace collab
