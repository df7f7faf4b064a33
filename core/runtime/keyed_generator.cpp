#include "runtime/keyed_generator.h"

#include <ATen/CPUGeneratorImpl.h>

#include <mutex>
#include <stdexcept>

namespace cdrl {

namespace {

uint64_t splitmix64(uint64_t z) {
  z += 0x9E3779B97F4A7C15ull;
  z = (z ^ (z >> 30)) * 0xBF58476D1CE4E5B9ull;
  z = (z ^ (z >> 27)) * 0x94D049BB133111EBull;
  return z ^ (z >> 31);
}

uint64_t next64(at::Generator& gen) {
  std::lock_guard<std::mutex> lock(gen.mutex());
  return gen.get<at::CPUGeneratorImpl>()->random64();
}

}  // namespace

at::Generator keyedGenerator(uint64_t seed, std::initializer_list<uint64_t> key) {
  uint64_t state = splitmix64(seed);
  for (const uint64_t part : key) state = splitmix64(state ^ part);
  return at::detail::createCPUGenerator(state);
}

double uniform01(at::Generator& gen) { return static_cast<double>(next64(gen) >> 11) * 0x1.0p-53; }

int64_t uniformBelow(at::Generator& gen, int64_t n) {
  if (n < 1) throw std::invalid_argument("uniformBelow: n ≥ 1 expected");
  return static_cast<int64_t>(next64(gen) % static_cast<uint64_t>(n));
}

}  // namespace cdrl
