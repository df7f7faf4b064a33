#include "eval/gaussian_fit.h"

#include <cmath>
#include <stdexcept>

namespace cdrl {

namespace {

constexpr double kMinScale = 1e-12;  // a constant feature is kept, standardised by this

torch::Tensor standardise(const GaussianFit& fit, const torch::Tensor& features) {
  if (features.dim() != 2 || features.size(1) != fit.mean.size(0))
    throw std::invalid_argument("gaussian log-density: features must be [N, " +
                                std::to_string(fit.mean.size(0)) + "], got " +
                                c10::str(features.sizes()));
  return (features.to(torch::kCPU, torch::kDouble) - fit.mean) / fit.scale;
}

// log N(z; 0, Σ) per row, through the Cholesky factor Σ = L·Lᵀ.
torch::Tensor logNormal(const torch::Tensor& z, const torch::Tensor& covariance) {
  const int64_t p = z.size(1);
  const auto L = torch::linalg_cholesky(covariance);
  const auto w = torch::linalg_solve_triangular(L, z.t(), /*upper=*/false);  // L⁻¹ zᵀ [p, N]
  const auto mahalanobis = w.square().sum(0);
  const double log_det = 2.0 * L.diagonal().log().sum().item<double>();
  return -0.5 * (mahalanobis + log_det + p * std::log(2.0 * M_PI));
}

}  // namespace

GaussianFit fitShrunkGaussian(const torch::Tensor& features) {
  if (features.dim() != 2 || features.size(0) < 2 || features.size(1) < 1)
    throw std::invalid_argument("gaussian fit: needs at least 2 rows of features, got " +
                                c10::str(features.sizes()));
  const auto f = features.to(torch::kCPU, torch::kDouble);
  if (!torch::isfinite(f).all().item<bool>())
    throw std::invalid_argument("gaussian fit: the features hold NaN or infinite values");
  const int64_t n = f.size(0);
  const int64_t p = f.size(1);
  GaussianFit fit;
  fit.mean = f.mean(0);
  fit.scale = f.std(0, /*unbiased=*/false).clamp_min(kMinScale);
  const auto z = (f - fit.mean) / fit.scale;
  const auto S = z.t().matmul(z) / static_cast<double>(n);
  const double mu = S.trace().item<double>() / p;
  const auto target = mu * torch::eye(p, torch::kDouble);
  const double d2 = (S - target).square().sum().item<double>();
  // b̄² = (1/n²) Σ_k ‖z_k z_kᵀ − S‖²_F = (1/n²) Σ_k (‖z_k‖⁴ − 2 z_kᵀ S z_k + ‖S‖²_F).
  const auto norms2 = z.square().sum(1);
  const auto zSz = (z.matmul(S) * z).sum(1);
  const double b_bar2 =
      (norms2.square() - 2 * zSz + S.square().sum()).sum().item<double>() / (double(n) * n);
  const double b2 = std::min(b_bar2, d2);
  fit.shrinkage = d2 > 0 ? b2 / d2 : 1.0;
  fit.covariance = fit.shrinkage * target + (1 - fit.shrinkage) * S;
  return fit;
}

torch::Tensor gaussianLogDensity(const GaussianFit& fit, const torch::Tensor& features) {
  const auto z = standardise(fit, features);
  return logNormal(z, fit.covariance) - fit.scale.log().sum();
}

torch::Tensor gaussianLogDensity(const GaussianFit& fit, const torch::Tensor& features,
                                 const std::vector<int64_t>& columns) {
  const auto z = standardise(fit, features);
  const auto index = torch::tensor(columns, torch::kLong);
  const auto block = fit.covariance.index_select(0, index).index_select(1, index);
  return logNormal(z.index_select(1, index), block) - fit.scale.index_select(0, index).log().sum();
}

}  // namespace cdrl
