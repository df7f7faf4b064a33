// What the fuzz targets share: the fuzzer's bytes written where the readers look for them (files
// in a per-process folder on /dev/shm, so nothing touches the disk), and the rule that a reader
// may refuse any input with an exception but must never crash, hang or leak.
#pragma once

#include <unistd.h>

#include <cstddef>
#include <cstdint>
#include <filesystem>
#include <fstream>
#include <string>
#include <string_view>

namespace cdrl::fuzz {

// A folder of this process's own, emptied once at start.
inline const std::string& scratchDir() {
  static const std::string dir = [] {
    const std::string d = "/dev/shm/cdrl-fuzz-" + std::to_string(::getpid());
    std::filesystem::remove_all(d);
    std::filesystem::create_directories(d);
    return d;
  }();
  return dir;
}

// Writes `bytes` to <scratch>/<name> and returns its path.
inline std::string writeScratch(const std::string& name, std::string_view bytes) {
  const std::string path = scratchDir() + "/" + name;
  std::filesystem::create_directories(std::filesystem::path(path).parent_path());
  std::ofstream(path, std::ios::binary | std::ios::trunc)
      .write(bytes.data(), static_cast<long>(bytes.size()));
  return path;
}

// Splits the input into two parts: the first two bytes (big-endian) give the first part's share
// of the rest in 65536ths, so the fuzzer can move the boundary like any other bytes.
inline std::pair<std::string_view, std::string_view> split(const uint8_t* data, size_t size) {
  if (size < 2) return {};
  const std::string_view rest(reinterpret_cast<const char*>(data + 2), size - 2);
  const size_t cut = rest.size() * ((size_t{data[0]} << 8) | data[1]) / 65536;
  return {rest.substr(0, cut), rest.substr(cut)};
}

}  // namespace cdrl::fuzz
