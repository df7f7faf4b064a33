// The IDX reader (Fashion-MNIST): an images file and a labels file, cut from one input.
#include "data/fashion_mnist.h"
#include "fuzz_support.h"

#include <stdexcept>

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  const auto [images, labels] = cdrl::fuzz::split(data, size);
  cdrl::fuzz::writeScratch("fmnist/train-images-idx3-ubyte", images);
  cdrl::fuzz::writeScratch("fmnist/train-labels-idx1-ubyte", labels);
  try {
    cdrl::readFashionMnist(cdrl::fuzz::scratchDir() + "/fmnist", cdrl::Split::Train);
  } catch (const std::exception&) {
  }
  return 0;
}
