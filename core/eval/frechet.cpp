#include "eval/frechet.h"

#include <stdexcept>

namespace cdrl {

namespace {

// Symmetric PSD square root via eigen-decomposition.
torch::Tensor sqrtPsd(const torch::Tensor& m) {
  const auto [values, vectors] = torch::linalg_eigh(0.5 * (m + m.t()));
  return vectors.matmul(torch::diag(values.clamp_min(0).sqrt())).matmul(vectors.t());
}

}  // namespace

Gaussian fitGaussian(const torch::Tensor& features) {
  if (features.dim() != 2 || features.size(0) < 2)
    throw std::invalid_argument("Fréchet distance: need at least 2 feature rows [N, D]");
  const auto f = features.detach().to(torch::kCPU, torch::kDouble);
  const auto mean = f.mean(0);
  const auto centred = f - mean;
  return {mean, centred.t().matmul(centred) / (f.size(0) - 1)};
}

double frechetDistance(const Gaussian& a, const Gaussian& b) {
  const auto root_a = sqrtPsd(a.covariance);
  const auto inner = root_a.matmul(b.covariance).matmul(root_a);
  const auto trace_root =
      torch::linalg_eigvalsh(0.5 * (inner + inner.t())).clamp_min(0).sqrt().sum();
  const auto diff = a.mean - b.mean;
  return (diff.dot(diff) + a.covariance.trace() + b.covariance.trace() - 2 * trace_root)
      .item<double>();
}

double frechetDistance(const torch::Tensor& features_a, const torch::Tensor& features_b) {
  return frechetDistance(fitGaussian(features_a), fitGaussian(features_b));
}

}  // namespace cdrl
