#include "runtime/device.h"

#include <dlfcn.h>
#include <malloc.h>

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

// Every Langevin step frees and reallocates the same activation buffers (a few MiB each). By
// default glibc serves such blocks by mmap and returns them (and the heap's free top) to the
// kernel, so each step page-faults its memory in afresh. Keeping blocks up to 32 MiB (glibc's
// ceiling) on the heap and never trimming it made fmnist-tiny sampling 1.6× faster at batch 64
// for 27 MiB more peak memory (docs/benchmarks.md). Kept memory stays in the arena of the thread
// that freed it; one arena per core (not glibc's 8 per core) lets the shard pool's threads reuse
// each other's, which kept 3-concept composition at 439 instead of 481 MiB.
void keepFreedMemory(int cores) {
  mallopt(M_ARENA_MAX, cores);
  mallopt(M_MMAP_THRESHOLD, 32 * 1024 * 1024);
  mallopt(M_TRIM_THRESHOLD, 1024 * 1024 * 1024);
  mallopt(M_TOP_PAD, 256 * 1024 * 1024);
}

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
