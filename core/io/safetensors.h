// The safetensors file layout: 8-byte little-endian header length, a JSON header naming each
// tensor's dtype, shape and byte range plus a "__metadata__" map of strings, then raw bytes.
// It loads without executing code and is readable from Python's safetensors package.
#pragma once

#include <torch/torch.h>

#include <map>
#include <stdexcept>
#include <string>

namespace cdrl {

// Any problem reading or writing a tensor file; what() names the file and the problem.
class FormatError : public std::runtime_error {
 public:
  using std::runtime_error::runtime_error;
};

struct TensorFile {
  std::map<std::string, std::string> metadata;   // the "__metadata__" map
  std::map<std::string, torch::Tensor> tensors;  // CPU tensors by name
};

// Writes atomically (a temporary file in the same folder, flushed, then renamed over `path`).
// Adds metadata "cdrl.data_crc32" (CRC-32 of the data section) so corruption is detected on load.
void writeTensorFile(const std::string& path, const TensorFile& file);

// Reads and validates: header length and JSON, dtypes, shapes against byte ranges, ranges inside
// the file, and the CRC when present. Throws FormatError with a one-line message naming the
// problem.
TensorFile readTensorFile(const std::string& path);

}  // namespace cdrl
