// The central directory of a zip archive (with zip64), read before any record is: record sizes
// are known, and checked against the file, before anything is allocated for them.
#pragma once

#include <cstdint>
#include <map>
#include <string>

namespace cdrl {

struct ZipRecord {
  uint64_t size = 0;             // uncompressed bytes
  uint64_t compressed_size = 0;  // bytes in the file
  uint16_t method = 0;           // 0 = stored (what torch.save writes), 8 = deflate
  uint64_t header_offset = 0;    // of the record's local header
};

// Records by full name. Throws FormatError naming `path` and the problem (not a zip, truncated,
// a record reaching past the end of the file, an impossible size).
std::map<std::string, ZipRecord> readZipDirectory(const std::string& path);

}  // namespace cdrl
