// The studio's PNG-settings parser: a PNG dropped on the window restores the run recorded in its
// "cdrl-studio" text chunk (app/studio/sample_export). Any file gives a record or nothing. Inputs
// whose first byte is even are the chunk's text, wrapped in a valid PNG here (a mutated PNG
// rarely keeps its checksums, so the record parser would seldom be reached); odd ones are the
// whole file.
#include "fuzz_support.h"
#include "sample_export.h"

#include <zlib.h>

#include <string>

namespace {

std::string chunk(const std::string& kind, const std::string& body) {
  auto be32 = [](uint32_t v) {
    return std::string{static_cast<char>(v >> 24), static_cast<char>(v >> 16),
                       static_cast<char>(v >> 8), static_cast<char>(v)};
  };
  const std::string typed = kind + body;
  const auto crc =
      crc32(0, reinterpret_cast<const Bytef*>(typed.data()), static_cast<uInt>(typed.size()));
  return be32(static_cast<uint32_t>(body.size())) + typed + be32(static_cast<uint32_t>(crc));
}

// A 1×1 grey PNG with `text` under the record's key.
std::string pngWithRecord(const std::string& text) {
  static const std::string pixel = [] {
    const unsigned char raw[] = {0, 128};  // filter byte, one grey pixel
    unsigned char packed[64];
    uLongf size = sizeof packed;
    compress(packed, &size, raw, sizeof raw);
    return std::string(reinterpret_cast<const char*>(packed), size);
  }();
  const std::string header{0, 0, 0, 1, 0, 0, 0, 1, 8, 0, 0, 0, 0};  // 1×1, 8-bit grey
  return std::string("\x89PNG\r\n\x1a\n", 8) + chunk("IHDR", header) +
         chunk("tEXt", std::string(cdrl::studio::kRecordKey) + '\0' + text) + chunk("IDAT", pixel) +
         chunk("IEND", "");
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  if (size == 0) return 0;
  const std::string rest(reinterpret_cast<const char*>(data + 1), size - 1);
  const auto path =
      cdrl::fuzz::writeScratch("dropped.png", data[0] % 2 == 0 ? pngWithRecord(rest) : rest);
  const auto record = cdrl::studio::readRecord(QString::fromStdString(path));
  if (record) record->checkpoint.size();
  return 0;
}
