// Improved precision and recall of a sample set (Kynkäänniemi et al., NeurIPS 2019): what share of
// the samples lies on the data's support, and what share of the data the samples cover; and
// coverage (Naeem et al., ICML 2020), the second question asked with the data's own balls, which
// a few far-off samples cannot inflate as they do recall.
#pragma once

#include <torch/torch.h>

namespace cdrl {

// The neighbour count of the paper's metric (and of `cdrl eval`).
inline constexpr int64_t kPrecisionRecallNeighbours = 3;

struct PrecisionRecall {
  double precision = 0;  // share of generated points inside the real points' k-NN manifold
  double recall = 0;     // share of real points inside the generated points' k-NN manifold
  double coverage = 0;   // share of real points whose own k-NN ball holds a generated point
};

// Each set's manifold is the union of balls around its points, each ball's radius the distance to
// that point's k-th nearest neighbour in the same set. A point is inside when some ball holds it
// (boundary included). Distances in double precision on the flattened rows of `real` [N, ...] and
// `generated` [M, ...]; both need more than k rows (std::invalid_argument otherwise).
PrecisionRecall precisionRecall(const torch::Tensor& real, const torch::Tensor& generated,
                                int64_t k = kPrecisionRecallNeighbours);

}  // namespace cdrl
