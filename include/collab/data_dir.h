// Where data sets live: --data-dir, else $COLLAB_DATA_DIR, else ./data.
#pragma once

#include <string>

namespace collab {

std::string resolve_data_dir(const std::string& from_option);

// Writes `contents` to `path` through a temporary file renamed into place, so a reader never
// sees a half-written file and an old file survives a failed write.
void write_file_atomically(const std::string& path, const std::string& contents);

}  // namespace collab
