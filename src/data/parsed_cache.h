// A cache of a data set's parsed, merged and encoded columns, one file beside the ratings file
// (".<ratings file name>.collab-cache"): ml-25m's 25 million ratings take 5 s to parse and well
// under one to read back.
//
// It never serves anything but what the files hold now, and nothing the parser would refuse:
// - its key is both source files' size and XXH3 hash of every byte (support/hash.h), with the
//   format and item key: an edit anywhere, whatever the files' times say, makes it stale;
// - its body carries its own XXH3 checksum: a torn or altered cache is ignored;
// - every value it returns is checked against the parser's rules (ratings finite and in the
//   format's range, ids not negative, titles non-empty UTF-8) and the encoder's (vocabularies
//   sorted and distinct, every index in range and used);
// - it is trusted only when owned by the user running collab (or by root in a folder no one else
//   can write) and writable by its owner alone: a cache planted in a shared folder is ignored.
// A cache that fails any of these is ignored and rewritten. It is written to a temporary name
// (created exclusively, never through a link) and renamed; a folder that cannot be written to
// just goes without. Streams (pipes, devices) have no cache.
#pragma once

#include <optional>
#include <string>

#include "data/data_source.h"
#include "data/encoding.h"

namespace collab {

// The first bytes of a cache file (the format's version in its last).
inline constexpr char kParsedCacheMagic[8] = {'C', 'O', 'L', 'C', 'A', 'C', 'H', '2'};

// The key of `source`'s files as they are now; empty when they are not regular files (no cache).
std::string parsed_cache_key(const DataSource& source);

// The cached columns of `source` if a valid, trusted cache with `key` is there.
std::optional<EncodedRatings> read_parsed_cache(const DataSource& source, const std::string& key);

// Writes the cache under `key`; false (and nothing left behind) when the folder is not writable.
bool write_parsed_cache(const DataSource& source, const std::string& key, const EncodedRatings& data);

// Where the cache of `source` lives.
std::string parsed_cache_path(const DataSource& source);

// Whether `data` holds only what the parser and encoder can produce from files in `source`'s
// format: what a cache's body must pass before it is used.
bool parsed_data_is_valid(const DataSource& source, const EncodedRatings& data);

}  // namespace collab
