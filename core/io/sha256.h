// SHA-256 of a file, as lowercase hex (OpenSSL), for recording where an imported model came from.
#pragma once

#include <string>

namespace cdrl {

// Streams the file; throws FormatError naming `path` when it cannot be read.
std::string sha256OfFile(const std::string& path);

}  // namespace cdrl
