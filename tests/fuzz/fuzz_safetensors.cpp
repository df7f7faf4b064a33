// The safetensors reader (every checkpoint, classifier and tensor file): any bytes give a tensor
// file or a FormatError, within the memory limits.
#include "fuzz_support.h"
#include "io/safetensors.h"

#include <stdexcept>

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  const auto path =
      cdrl::fuzz::writeScratch("input.safetensors", {reinterpret_cast<const char*>(data), size});
  try {
    const auto file = cdrl::readTensorFile(path);
    for (const auto& [name, tensor] : file.tensors) tensor.sum();  // every tensor is readable
  } catch (const std::exception&) {
  }
  return 0;
}
