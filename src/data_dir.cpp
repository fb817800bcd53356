#include "collab/data_dir.h"

#include <unistd.h>

#include <cstdio>
#include <cstdlib>
#include <filesystem>
#include <fstream>

#include "collab/error.h"

namespace collab {

std::string resolve_data_dir(const std::string& from_option) {
  if (!from_option.empty()) return from_option;
  if (const char* env = std::getenv("COLLAB_DATA_DIR"); env && *env) return env;
  return "data";
}

void write_file_atomically(const std::string& path, const std::string& contents) {
  namespace fs = std::filesystem;
  fs::path target(path);
  std::error_code ec;
  if (target.has_parent_path()) fs::create_directories(target.parent_path(), ec);
  const std::string tmp = path + ".tmp." + std::to_string(::getpid());
  {
    std::ofstream out(tmp, std::ios::binary | std::ios::trunc);
    if (!out) throw cannot_write("cannot write " + path + ": cannot create " + tmp);
    out.write(contents.data(), static_cast<std::streamsize>(contents.size()));
    out.flush();
    if (!out) {
      out.close();
      fs::remove(tmp, ec);
      throw cannot_write("cannot write " + path + " (disk full?)");
    }
  }
  if (std::rename(tmp.c_str(), path.c_str()) != 0) {
    fs::remove(tmp, ec);
    throw cannot_write("cannot write " + path + ": rename failed");
  }
}

}  // namespace collab
