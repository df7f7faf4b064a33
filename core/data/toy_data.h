// Synthetic 2-D distributions for the toy runs (ALGORITHM.md §8), already inside [-1, 1].
#pragma once

#include <torch/torch.h>

#include <cstdint>
#include <string>
#include <vector>

#include "data/dataset.h"

namespace cdrl {

enum class ToyShape { EightGaussians, Checkerboard, TwoMoons, SwissRoll, Rings };

// Names accepted by toyShapeFromString, in enum order.
std::vector<std::string> toyShapeNames();
// Throws std::invalid_argument listing the valid names.
ToyShape toyShapeFromString(const std::string& name);
std::string toString(ToyShape shape);

// float32 [n, 2], every coordinate in [-1, 1]. All randomness comes from `gen`, so a generator
// seeded the same way gives the same points.
torch::Tensor sampleToy(ToyShape shape, int64_t n, torch::Generator gen);

// n points of `shape` drawn with a fresh CPU generator seeded with `seed`; name "toy:<name>",
// identity map back to user units.
Dataset makeToyDataset(ToyShape shape, int64_t n, uint64_t seed);

}  // namespace cdrl
