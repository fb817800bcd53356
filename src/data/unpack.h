// Safe unpacking of zip archives with libzip: no zip-slip, no bombs, CRCs checked, all or nothing.
#pragma once

#include <cstdint>
#include <string>
#include <vector>

namespace collab {

struct UnpackLimits {
  std::uint64_t max_total_bytes = 16ull << 30;  // ml-32m unpacks to under 1 GiB
  double max_ratio = 100.0;                      // unpacked size / archive size
  std::uint64_t max_entries = 10000;
};

// Unpacks `zip_path` into `target_dir`. When every entry sits under one top-level folder (as
// GroupLens archives do: ml-latest-small/..., ml-10M100K/...), that folder's contents become
// `target_dir`. Everything is written to a temporary folder beside the target and renamed into
// place only when all entries were read and checked; an existing target is replaced. A corrupt,
// truncated or hostile archive throws ExitCode::data and leaves nothing behind, and so does one
// that lacks any of `required_files` (paths relative to the data set folder): an earlier good
// copy in `target_dir` then stays. Ctrl-C or SIGTERM while unpacking removes the temporary folder
// and throws Interrupted; folders that a killed run left beside the target are removed.
void unpack_archive(const std::string& zip_path, const std::string& target_dir,
                    const std::vector<std::string>& required_files = {}, const UnpackLimits& limits = {});

}  // namespace collab
