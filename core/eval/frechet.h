// Fréchet distance between Gaussians fitted to two feature sets (the FID formula), in double
// precision: ‖μ_a − μ_b‖² + tr(Σ_a + Σ_b − 2·(Σ_a^½ Σ_b Σ_a^½)^½).
#pragma once

#include <torch/torch.h>

namespace cdrl {

struct Gaussian {
  torch::Tensor mean;        // [D] double
  torch::Tensor covariance;  // [D, D] double (unbiased)
};

// Mean and covariance of the rows of `features` [N, D] (N ≥ 2).
Gaussian fitGaussian(const torch::Tensor& features);

// The closed form between two Gaussians. Square roots are taken of symmetric PSD matrices through
// their eigen-decomposition (negative round-off eigenvalues clamped to 0), which stays real.
double frechetDistance(const Gaussian& a, const Gaussian& b);
double frechetDistance(const torch::Tensor& features_a, const torch::Tensor& features_b);

}  // namespace cdrl
