#include "eval/precision_recall.h"

#include <stdexcept>
#include <string>
#include <vector>

namespace cdrl {

namespace {

// Rows per block of the distance matrix: 1 000 × 5 000 doubles is 40 MB.
constexpr int64_t kBlock = 1000;

// Exact differences, not cdist's ‖a‖² + ‖b‖² − 2a·b, which misplaces points on a ball's boundary
// (a copy of a point lands ~1e-8 from it).
torch::Tensor distances(const torch::Tensor& a, const torch::Tensor& b) {
  constexpr int64_t kNoMatrixProduct = 2;  // cdist's "donot_use_mm_for_euclid_dist"
  return torch::cdist(a, b, 2.0, kNoMatrixProduct);
}

torch::Tensor asRows(const torch::Tensor& x) {
  return x.detach().to(torch::kCPU, torch::kDouble).flatten(1).contiguous();
}

// Distance from each row of `points` to its k-th nearest other row (itself is the 0-th).
torch::Tensor kthNeighbourRadius(const torch::Tensor& points, int64_t k) {
  std::vector<torch::Tensor> radii;
  for (int64_t start = 0; start < points.size(0); start += kBlock) {
    const auto d = distances(points.slice(0, start, start + kBlock), points);
    radii.push_back(std::get<0>(d.topk(k + 1, 1, /*largest=*/false)).select(1, k));
  }
  return torch::cat(radii);
}

// Share of `queries` inside the union of balls (centres, radii).
double shareInside(const torch::Tensor& queries, const torch::Tensor& centres,
                   const torch::Tensor& radii) {
  int64_t inside = 0;
  for (int64_t start = 0; start < queries.size(0); start += kBlock) {
    const auto d = distances(queries.slice(0, start, start + kBlock), centres);
    inside += d.le(radii.unsqueeze(0)).any(1).sum().item<int64_t>();
  }
  return static_cast<double>(inside) / static_cast<double>(queries.size(0));
}

// Share of balls (centres, radii) that hold at least one of `points`.
double shareOfBallsHit(const torch::Tensor& centres, const torch::Tensor& radii,
                       const torch::Tensor& points) {
  int64_t hit = 0;
  for (int64_t start = 0; start < centres.size(0); start += kBlock) {
    const auto d = distances(centres.slice(0, start, start + kBlock), points);
    hit += d.le(radii.slice(0, start, start + kBlock).unsqueeze(1)).any(1).sum().item<int64_t>();
  }
  return static_cast<double>(hit) / static_cast<double>(centres.size(0));
}

}  // namespace

PrecisionRecall precisionRecall(const torch::Tensor& real, const torch::Tensor& generated,
                                int64_t k) {
  torch::NoGradGuard no_grad;
  if (k < 1) throw std::invalid_argument("precision/recall: k must be ≥ 1");
  if (real.size(0) <= k || generated.size(0) <= k)
    throw std::invalid_argument(
        "precision/recall: each set needs more than k = " + std::to_string(k) + " points");
  const auto R = asRows(real);
  const auto G = asRows(generated);
  if (R.size(1) != G.size(1))
    throw std::invalid_argument("precision/recall: the sets' points differ in size");
  const auto real_radii = kthNeighbourRadius(R, k);
  return {shareInside(G, R, real_radii), shareInside(R, G, kthNeighbourRadius(G, k)),
          shareOfBallsHit(R, real_radii, G)};
}

}  // namespace cdrl
