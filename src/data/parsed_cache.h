// A cache of a data set's parsed, merged and encoded columns, one file beside the ratings file
// (".<ratings file name>.collab-cache"): ml-25m's 25 million ratings take 5 s to parse and well
// under one to read back. It is keyed by both source files' size, modification time and a hash
// of their first and last 64 KiB, and by the item key and format; a cache that is stale, of
// another version, truncated or inconsistent is ignored and rewritten. Written to a temporary
// name and renamed; a folder that cannot be written to just goes without.
#pragma once

#include <optional>
#include <string>

#include "data/data_source.h"
#include "data/encoding.h"

namespace collab {

// The key of `source`'s files as they are now; empty when they are not regular files (no cache).
// Taken once, before parsing, and used to read and to write: a file replaced while it is parsed
// leaves a cache that the next run finds stale.
std::string parsed_cache_key(const DataSource& source);

// The cached columns of `source` if a valid cache with `key` is there.
std::optional<EncodedRatings> read_parsed_cache(const DataSource& source, const std::string& key);

// Writes the cache under `key`; false (and nothing left behind) when the folder is not writable.
bool write_parsed_cache(const DataSource& source, const std::string& key, const EncodedRatings& data);

// Where the cache of `source` lives.
std::string parsed_cache_path(const DataSource& source);

}  // namespace collab
