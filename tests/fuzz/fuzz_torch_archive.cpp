// The torch.save reader (the authors' .pth.tar): zip directory, the allowlisted unpickler and the
// storage checks. Any bytes give an archive whose tensors all read, or a FormatError.
#include "fuzz_support.h"
#include "io/torch_archive.h"

#include <stdexcept>

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  const auto path =
      cdrl::fuzz::writeScratch("input.pth.tar", {reinterpret_cast<const char*>(data), size});
  try {
    const cdrl::TorchArchive archive(path);
    // Every tensor the pickle declares reads back (the checks at opening promised it).
    for (size_t k = 0; k < archive.document().tensors.size(); ++k) {
      cdrl::pickle::Value tensor;
      tensor.kind = cdrl::pickle::Kind::Tensor;
      tensor.index = k;
      archive.read(tensor).sum();
    }
  } catch (const std::exception&) {
  }
  return 0;
}
