// What `collab --version` says and what the shell learns of collab: the version report a bug
// report needs, and bash completion generated from the very option definitions the verbs use.
#pragma once

#include <CLI/CLI.hpp>
#include <string>

namespace collab::cli {

// "collab 0.1.0", the LibTorch it was built against, whether this machine has CUDA for it (asked
// of the plugin only when the build has CUDA) and AVX2+FMA.
std::string version_report();

// A bash completion script for `app`: verbs, their options, the words of enum options, files for
// path options. Works in zsh through bashcompinit.
std::string bash_completion(const CLI::App& app);

// `collab completion bash`: prints it.
void add_completion_verb(CLI::App& app);

}  // namespace collab::cli
