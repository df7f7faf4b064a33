// 2×2 average pooling as a fixed depthwise convolution: the same numbers as avg_pool2d (to float
// rounding), but oneDNN's kernel runs forward and input gradient 2–4× faster on these machines'
// CPUs than LibTorch's pooling loops (docs/benchmarks.md).
#pragma once

#include <torch/torch.h>

namespace cdrl {

// [B, C, H, W] → [B, C, H/2, W/2], each output the mean of its 2×2 block (H, W even).
torch::Tensor meanPool2x(const torch::Tensor& x);

}  // namespace cdrl
