#include <dlfcn.h>
#include <unistd.h>

#include <climits>
#include <cstdlib>
#include <filesystem>
#include <vector>

#include "support/error.h"
#include "train/torch_plugin.h"

namespace collab {
namespace {

std::string executable_dir() {
  char buf[PATH_MAX];
  ssize_t n = readlink("/proc/self/exe", buf, sizeof buf - 1);
  if (n <= 0) return ".";
  buf[n] = '\0';
  return std::filesystem::path(buf).parent_path().string();
}

// The folder of the file this code was loaded from: libcollab.so when a program uses the library
// (its plugin is installed in collab/ beside it), else the executable's.
std::string own_dir() {
  Dl_info info{};
  if (dladdr(reinterpret_cast<void*>(&executable_dir), &info) == 0 || !info.dli_fname) return executable_dir();
  std::error_code ec;
  const auto path = std::filesystem::canonical(info.dli_fname, ec);
  return ec ? executable_dir() : path.parent_path().string();
}

}  // namespace

bool torch_plugin_built_with_cuda() {
#ifdef COLLAB_TORCH_CUDA
  return true;
#else
  return false;
#endif
}

const TorchPlugin& load_torch_plugin() {
  static const TorchPlugin* plugin = nullptr;
  if (plugin) return *plugin;
  std::vector<std::string> candidates;
  if (const char* env = std::getenv("COLLAB_TORCH_PLUGIN"); env && *env) candidates.push_back(env);
  const std::string dir = executable_dir();
  candidates.push_back(dir + "/libcollab_torch.so");
  candidates.push_back(dir + "/../lib/collab/libcollab_torch.so");
  candidates.push_back(own_dir() + "/collab/libcollab_torch.so");
  std::string reasons;
  for (const auto& path : candidates) {
    if (!std::filesystem::exists(path)) continue;
    void* handle = dlopen(path.c_str(), RTLD_NOW | RTLD_LOCAL);
    if (!handle) {
      reasons += std::string("; ") + dlerror();
      continue;
    }
    using Entry = const TorchPlugin* (*)();
    auto entry = reinterpret_cast<Entry>(dlsym(handle, "collab_torch_plugin"));
    if (!entry) {
      reasons += "; " + path + " is not a collab plugin";
      continue;
    }
    const TorchPlugin* p = entry();
    if (p->abi != kTorchPluginAbi) {
      reasons += "; " + path + " was built for another version of collab";
      continue;
    }
    plugin = p;  // never unloaded: engines it made may outlive any scope here
    return *plugin;
  }
  throw unavailable("the LibTorch backend (libcollab_torch.so) is not available" +
                    (reasons.empty() ? std::string(": build with -DCOLLAB_WITH_TORCH=ON") : reasons));
}

}  // namespace collab
