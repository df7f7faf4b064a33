// CIFAR-10 from the user's copy of its binary version (cifar-10-binary.tar.gz, unpacked).
#pragma once

#include <torch/torch.h>

#include <cstdint>
#include <string>
#include <vector>

#include "data/dataset.h"
#include "data/fashion_mnist.h"  // Split

namespace cdrl {

// The 10 class names in label order ("airplane" ... "truck").
const std::vector<std::string>& cifar10ClassNames();

// Reads <dir>/data_batch_1.bin ... data_batch_5.bin (Split::Train, 50 000 images) or
// <dir>/test_batch.bin (Split::Test, 10 000). `dir` may also be the folder that holds
// cifar-10-batches-bin/. Each record is 1 label byte then 3072 bytes: the R, G and B planes of a
// 32x32 image, row-major. Data float32 [N, 3, 32, 32] in [-1, 1] (x / 127.5 - 1), labels int64
// in 0..9, class names from <dir>/batches.meta.txt when present (10 non-blank lines) else the
// standard ones; random_flip true. `limit` >= 0 reads only the first `limit` records, in batch
// order. Throws std::runtime_error naming the file and the problem (missing, size not a multiple
// of 3073 bytes, label outside 0..9, a batches.meta.txt without 10 names).
Dataset readCifar10(const std::string& dir, Split split, int64_t limit = -1);

}  // namespace cdrl
