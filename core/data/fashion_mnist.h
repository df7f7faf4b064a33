// Fashion-MNIST from its IDX files (gzip-compressed or not), the one image set available offline.
#pragma once

#include <torch/torch.h>

#include <cstdint>
#include <string>

#include "data/dataset.h"

namespace cdrl {

enum class Split { Train, Test };

// $CDRL_FASHION_MNIST_DIR when set and non-empty, else the Debian package's folder.
std::string defaultFashionMnistDir();

// Reads <dir>/{train,t10k}-{images-idx3,labels-idx1}-ubyte[.gz]. Data float32 [N, 1, 28, 28] in
// [-1, 1] (x / 127.5 - 1), labels int64 in 0..9, the 10 class names. `limit` >= 0 reads only the
// first `limit` examples. Throws std::runtime_error naming the file and the problem (missing,
// wrong magic, wrong dimensions, truncated, trailing bytes, counts that disagree).
Dataset readFashionMnist(const std::string& dir, Split split, int64_t limit = -1);

}  // namespace cdrl
