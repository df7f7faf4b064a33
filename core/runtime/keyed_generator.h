// Random streams keyed by what they are for — (seed, row, level, draw) in sampling, (seed, step,
// row) in training — so a value depends on its key alone, never on how a batch is split over
// cores, calls or processes.
#pragma once

#include <ATen/core/Generator.h>

#include <cstdint>
#include <initializer_list>

namespace cdrl {

// A CPU generator seeded by splitmix64 folded over `seed` and then each part of the key.
at::Generator keyedGenerator(uint64_t seed, std::initializer_list<uint64_t> key);

// A uniform draw from [0, 1) with 53 random bits, advancing `gen` by one 64-bit value.
double uniform01(at::Generator& gen);

// A uniform draw from {0, …, n − 1} (n ≥ 1), advancing `gen` by one 64-bit value (the modulo bias,
// below n / 2⁶⁴, is far under anything a training run can see).
int64_t uniformBelow(at::Generator& gen, int64_t n);

}  // namespace cdrl
