// Image decoding as every image input goes (folders, OOD inputs, dropped files): the header
// check, OpenCV's decoder, channel conversion, resize and crop.
#include "data/image_folder.h"
#include "data/image_header.h"
#include "fuzz_support.h"

#include <stdexcept>

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  cdrl::imageSizeFromHeader(std::vector<uint8_t>(data, data + size));
  const auto path =
      cdrl::fuzz::writeScratch("image.png", {reinterpret_cast<const char*>(data), size});
  try {
    cdrl::loadImage(path, cdrl::ImageLoadOptions{});
  } catch (const std::exception&) {
  }
  return 0;
}
