// A cache of a data set's parsed, merged and encoded columns, one file beside the ratings file
// (".<ratings file name>.collab-cache"): ml-25m's 25 million ratings take 5 s to parse and well
// under one to read back. It is keyed by both source files' size, modification time and a hash
// of their first and last 64 KiB, and by the item key and format; a cache that is stale, of
// another version, truncated or inconsistent is ignored and rewritten. Written to a temporary
// name and renamed; a folder that cannot be written to just goes without.
#pragma once

#include <optional>

#include "data/data_source.h"
#include "data/encoding.h"

namespace collab {

// The cached columns of `source` if a valid cache is there.
std::optional<EncodedRatings> read_parsed_cache(const DataSource& source);

// Writes the cache; false (and nothing left behind) when the folder is not writable.
bool write_parsed_cache(const DataSource& source, const EncodedRatings& data);

// Where the cache of `source` lives.
std::string parsed_cache_path(const DataSource& source);

}  // namespace collab
