// Out-of-distribution scores (ALGORITHM.md §7): the energy at the lowest noise level, higher =
// more in-distribution.
#pragma once

#include "cdrl/model.h"

#include <torch/torch.h>

namespace cdrl {

struct ScoreOptions {
  bool use_ema = true;  // EMA weights, as for sampling
  int64_t batch = 256;  // examples per forward pass
};

// F(sqrt(m_1)·x; λ_0, ∅) for each row of `x` [N, ...] (data scaled to [−1, 1]); CPU [N] double.
torch::Tensor energyScores(Model& model, const torch::Tensor& x, const ScoreOptions& options = {});

// A baseline beside the energy: −min_j ‖x − t_j‖ over the rows of `training` [M, ...] (the
// negative Euclidean distance to the nearest training example), so higher is also more
// in-distribution. CPU [N] double.
torch::Tensor nearestNeighbourScores(const torch::Tensor& training, const torch::Tensor& x,
                                     int64_t batch = 256);

}  // namespace cdrl
