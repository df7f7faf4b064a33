// An image's width and height read from its header alone, so that a small file that would decode
// to gigabytes (a 20000×20000 PNG is 1.2 MB) is refused before any pixel is decoded.
#pragma once

#include <cstdint>
#include <optional>
#include <vector>

namespace cdrl {

struct ImageSize {
  int64_t width = 0;
  int64_t height = 0;
};

// PNG, JPEG, BMP, WebP, TIFF and PGM/PPM; nullopt for anything else or a header cut short.
std::optional<ImageSize> imageSizeFromHeader(const std::vector<uint8_t>& bytes);

}  // namespace cdrl
