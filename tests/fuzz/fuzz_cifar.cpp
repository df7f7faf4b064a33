// The CIFAR-10 binary reader: a test batch and the class-name list, cut from one input.
#include "data/cifar10.h"
#include "fuzz_support.h"

#include <stdexcept>

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  const auto [batch, meta] = cdrl::fuzz::split(data, size);
  cdrl::fuzz::writeScratch("cifar/test_batch.bin", batch);
  cdrl::fuzz::writeScratch("cifar/batches.meta.txt", meta);
  try {
    cdrl::readCifar10(cdrl::fuzz::scratchDir() + "/cifar", cdrl::Split::Test);
  } catch (const std::exception&) {
  }
  return 0;
}
