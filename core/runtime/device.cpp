#include "runtime/device.h"

#include "runtime/heap.h"

#include <dlfcn.h>

#include <cstdlib>
#include <mutex>
#include <stdexcept>
#include <thread>

namespace cdrl {

namespace {

// OpenBLAS reads OPENBLAS_NUM_THREADS only at load, so set its thread count through its API when
// the loaded BLAS is OpenBLAS; with the reference BLAS the symbol is absent and nothing happens.
void limitBlasThreads(int threads) {
  using SetThreads = void (*)(int);
  if (auto set = reinterpret_cast<SetThreads>(dlsym(RTLD_DEFAULT, "openblas_set_num_threads"))) {
    set(threads);
  }
}

// oneDNN keeps every convolution primitive it builds, up to 1 024 by default; where batch sizes
// vary (the studio's re-samples) that kept growing for hundreds of runs and was half of what a
// 200-run soak grew by (docs/reliability.md §6). 256 still holds a training step's working set
// (128 did not: fmnist-tiny trained 10–20 % slower); a value the user set wins.
void boundPrimitiveCache() { setenv("ONEDNN_PRIMITIVE_CACHE_CAPACITY", "256", /*overwrite=*/0); }

}  // namespace

torch::Device selectDevice(DevicePreference preference) {
  const bool cuda = torch::cuda::is_available();
  switch (preference) {
    case DevicePreference::Cpu:
      return torch::kCPU;
    case DevicePreference::Cuda:
      if (!cuda)
        throw std::runtime_error(
            "CUDA requested but this LibTorch has no CUDA or no GPU is present");
      return {torch::kCUDA, 0};
    case DevicePreference::Auto:
      break;
  }
  return cuda ? torch::Device(torch::kCUDA, 0) : torch::Device(torch::kCPU);
}

void configureRuntime(int threads) {
  static std::once_flag once;
  std::call_once(once, [threads] {
    const int n =
        threads > 0 ? threads : static_cast<int>(std::max(1u, std::thread::hardware_concurrency()));
    keepFreedMemory(n);
    boundPrimitiveCache();
    // Measured: small GEMMs inside LibTorch's own parallel regions ran 2.8× slower when OpenBLAS
    // also spawned threads (PRODUCT.md, known traps).
    limitBlasThreads(1);
    torch::set_num_threads(n);
  });
}

std::string describeDevice(const torch::Device& device) {
  if (device.is_cuda()) return "cuda:" + std::to_string(device.index() < 0 ? 0 : device.index());
  return "cpu (" + std::to_string(torch::get_num_threads()) + " threads)";
}

DevicePreference devicePreferenceFromString(const std::string& name) {
  if (name == "auto") return DevicePreference::Auto;
  if (name == "cpu") return DevicePreference::Cpu;
  if (name == "cuda") return DevicePreference::Cuda;
  throw std::invalid_argument("unknown device '" + name + "' (expected auto, cpu or cuda)");
}

}  // namespace cdrl
