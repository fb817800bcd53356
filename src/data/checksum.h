// MD5 of files, for checking downloaded archives against GroupLens' published checksums.
#pragma once

#include <string>

namespace collab {

std::string md5_hex_of_file(const std::string& path);
std::string md5_hex_of_bytes(const std::string& bytes);

// Reads the checksum out of a published .md5 file: "MD5 (ml-25m.zip) = <hex>" or "<hex>  name".
// Returns "" when the text holds no 32-digit hex string.
std::string parse_md5_listing(const std::string& text);

}  // namespace collab
