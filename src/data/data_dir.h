// Where data sets live: --data-dir, else $COLLAB_DATA_DIR, else ./data.
#pragma once

#include <string>

namespace collab {

std::string resolve_data_dir(const std::string& from_option);

}  // namespace collab
