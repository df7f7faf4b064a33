// Out-of-distribution scores: the paper's energy at the lowest noise level (ALGORITHM.md §7) and
// a nearest-example baseline; the calibrated typicality score is in eval/typicality. For every
// score, higher = more in-distribution.
#pragma once

#include "cdrl/model.h"

#include <torch/torch.h>

#include <string>

namespace cdrl {

enum class OodScoreKind {
  Typicality,  // eval/typicality: every level's energy and gradient norm, calibrated (default)
  Energy,      // the paper's: F at the lowest level
  Nearest,     // minus the distance to the nearest training example
};
std::string toString(OodScoreKind score);
// "typicality", "energy" or "nearest"; else std::invalid_argument naming the choices.
OodScoreKind oodScoreKindFromString(const std::string& name);

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
