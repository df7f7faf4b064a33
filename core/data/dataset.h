// A training data set held in memory as one tensor, scaled to [-1, 1] (ALGORITHM.md §2).
#pragma once

#include <torch/torch.h>

#include <string>
#include <vector>

namespace cdrl {

struct Dataset {
  std::string name;      // e.g. "toy:8gaussians", "csv:/path/pts.csv", "fashion-mnist"
  torch::Tensor data;    // float32 [N, 2] for points or [N, C, H, W] for images, in [-1, 1]
  torch::Tensor labels;  // int64 [N] class index 0..C-1, or undefined when unlabelled
  std::vector<std::string> class_names;  // empty when unlabelled
  // Binary attributes (CelebA-style), int64 [N, A] of 0/1, or undefined. Each attribute value is
  // a concept: concept index 1 + 2·a + v for attribute a with value v (0 is ∅).
  torch::Tensor attributes;
  std::vector<std::string> attribute_names;
  // Affine map back to the user's units: original = data * scale + shift (per coordinate for
  // points).
  std::vector<double> shift;
  std::vector<double> scale;
  bool random_flip = false;  // horizontal flip augmentation (natural images only)

  int64_t size() const { return data.defined() ? data.size(0) : 0; }
  // Shape of one example, e.g. {2} or {1, 28, 28}.
  std::vector<int64_t> exampleShape() const;
};

}  // namespace cdrl
