#include "data/image_header.h"

#include <cctype>
#include <cstring>
#include <string>

namespace cdrl {

namespace {

// Bounds-checked reads; every one returns false past the end of the buffer.
class Reader {
 public:
  explicit Reader(const std::vector<uint8_t>& bytes) : m_bytes(bytes) {}

  bool has(size_t at, size_t n) const { return at <= m_bytes.size() && n <= m_bytes.size() - at; }
  bool startsWith(const char* magic, size_t at = 0) const {
    const size_t n = std::strlen(magic);
    return has(at, n) && std::memcmp(m_bytes.data() + at, magic, n) == 0;
  }
  uint8_t u8(size_t at) const { return m_bytes[at]; }
  uint32_t be(size_t at, int n) const {
    uint32_t v = 0;
    for (int k = 0; k < n; ++k) v = (v << 8) | m_bytes[at + static_cast<size_t>(k)];
    return v;
  }
  uint32_t le(size_t at, int n) const {
    uint32_t v = 0;
    for (int k = n - 1; k >= 0; --k) v = (v << 8) | m_bytes[at + static_cast<size_t>(k)];
    return v;
  }
  size_t size() const { return m_bytes.size(); }

 private:
  const std::vector<uint8_t>& m_bytes;
};

std::optional<ImageSize> png(const Reader& r) {
  // Signature, then the IHDR chunk: length, "IHDR", width, height (big-endian).
  if (!r.has(0, 24) || !r.startsWith("IHDR", 12)) return std::nullopt;
  return ImageSize{r.be(16, 4), r.be(20, 4)};
}

std::optional<ImageSize> jpeg(const Reader& r) {
  // Segments until a start-of-frame marker (SOF0–SOF15 except DHT, JPG and DAC).
  size_t at = 2;
  while (r.has(at, 4)) {
    if (r.u8(at) != 0xFF) return std::nullopt;
    const uint8_t marker = r.u8(at + 1);
    if (marker == 0xFF) {  // fill byte
      ++at;
      continue;
    }
    if (marker == 0xD8 || marker == 0x01 || (marker >= 0xD0 && marker <= 0xD7)) {
      at += 2;  // markers without a length
      continue;
    }
    const size_t length = r.be(at + 2, 2);
    const bool frame =
        marker >= 0xC0 && marker <= 0xCF && marker != 0xC4 && marker != 0xC8 && marker != 0xCC;
    if (frame) {
      if (!r.has(at + 5, 4)) return std::nullopt;
      return ImageSize{r.be(at + 7, 2), r.be(at + 5, 2)};
    }
    if (length < 2) return std::nullopt;
    at += 2 + length;
  }
  return std::nullopt;
}

std::optional<ImageSize> bmp(const Reader& r) {
  if (!r.has(0, 26)) return std::nullopt;
  if (r.le(14, 4) == 12) return ImageSize{r.le(18, 2), r.le(20, 2)};  // OS/2 core header
  const auto height = static_cast<int32_t>(r.le(22, 4));              // negative: top-down
  return ImageSize{static_cast<int32_t>(r.le(18, 4)), height < 0 ? -int64_t{height} : height};
}

std::optional<ImageSize> webp(const Reader& r) {
  if (!r.has(0, 30)) return std::nullopt;
  if (r.startsWith("VP8 ", 12)) return ImageSize{r.le(26, 2) & 0x3FFF, r.le(28, 2) & 0x3FFF};
  if (r.startsWith("VP8L", 12)) {
    const uint32_t bits = r.le(21, 4);
    return ImageSize{(bits & 0x3FFF) + 1, ((bits >> 14) & 0x3FFF) + 1};
  }
  if (r.startsWith("VP8X", 12)) return ImageSize{r.le(24, 3) + 1, r.le(27, 3) + 1};
  return std::nullopt;
}

std::optional<ImageSize> tiff(const Reader& r) {
  const bool little = r.u8(0) == 'I';
  auto read = [&](size_t at, int n) { return little ? r.le(at, n) : r.be(at, n); };
  if (!r.has(0, 8)) return std::nullopt;
  const size_t ifd = read(4, 4);
  if (!r.has(ifd, 2)) return std::nullopt;
  const size_t entries = read(ifd, 2);
  int64_t width = -1, height = -1;
  for (size_t k = 0; k < entries; ++k) {
    const size_t at = ifd + 2 + 12 * k;
    if (!r.has(at, 12)) return std::nullopt;
    const uint32_t tag = read(at, 2);
    const uint32_t type = read(at + 2, 2);
    const uint32_t value = type == 3 ? read(at + 8, 2) : read(at + 8, 4);  // SHORT or LONG
    if (tag == 256) width = value;
    if (tag == 257) height = value;
  }
  if (width < 0 || height < 0) return std::nullopt;
  return ImageSize{width, height};
}

std::optional<ImageSize> pnm(const Reader& r) {
  // "P5" or "P6", then width and height as decimal text, with comments between tokens.
  size_t at = 2;
  int64_t values[2] = {0, 0};
  for (auto& value : values) {
    while (at < r.size() && (std::isspace(r.u8(at)) || r.u8(at) == '#')) {
      if (r.u8(at) == '#')
        while (at < r.size() && r.u8(at) != '\n') ++at;
      else
        ++at;
    }
    size_t digits = 0;
    while (at < r.size() && std::isdigit(r.u8(at)) && digits < 10) {
      value = value * 10 + (r.u8(at++) - '0');
      ++digits;
    }
    // A number cut by the end of the buffer is not known yet ("37 2" may be "37 23").
    if (digits == 0 || digits == 10 || at >= r.size()) return std::nullopt;
  }
  return ImageSize{values[0], values[1]};
}

}  // namespace

std::optional<ImageSize> imageSizeFromHeader(const std::vector<uint8_t>& bytes) {
  const Reader r(bytes);
  if (r.startsWith("\x89PNG\r\n\x1a\n")) return png(r);
  if (r.has(0, 3) && r.u8(0) == 0xFF && r.u8(1) == 0xD8 && r.u8(2) == 0xFF) return jpeg(r);
  if (r.startsWith("BM")) return bmp(r);
  if (r.startsWith("RIFF") && r.startsWith("WEBP", 8)) return webp(r);
  if (r.startsWith("II*") || r.startsWith("MM")) return tiff(r);
  if (r.startsWith("P5") || r.startsWith("P6") || r.startsWith("P2") || r.startsWith("P3"))
    return pnm(r);
  return std::nullopt;
}

}  // namespace cdrl
