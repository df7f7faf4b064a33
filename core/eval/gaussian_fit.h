// A multivariate Gaussian fitted with Ledoit–Wolf shrinkage, and the log-density under it: the
// density model of the typicality score (eval/typicality).
#pragma once

#include <torch/torch.h>

namespace cdrl {

struct GaussianFit {
  torch::Tensor mean;        // μ [p], double
  torch::Tensor scale;       // per-feature standard deviation s [p] the features are divided by
  torch::Tensor covariance;  // Σ [p, p] of the standardised features z = (f − μ) / s, shrunk
  double shrinkage = 0;      // ρ in Σ = ρ·(tr S / p)·I + (1 − ρ)·S
};

// Fits `features` [n, p] (n ≥ 2): standardises each column, then Ledoit & Wolf's (2004) shrinkage
// of the sample covariance S towards (tr S / p)·I, with ρ = min(b̄², d²) / d², where
// d² = ‖S − (tr S / p)·I‖²_F and b̄² = (1/n²) Σ_k ‖z_k z_kᵀ − S‖²_F. Throws std::invalid_argument
// naming the problem (too few rows, non-finite values).
GaussianFit fitShrunkGaussian(const torch::Tensor& features);

// log N(z; 0, Σ) − Σ_j log s_j for each row of `features` [N, p]: the log-density of the
// features themselves under the fit. CPU [N] double.
torch::Tensor gaussianLogDensity(const GaussianFit& fit, const torch::Tensor& features);

// The same for the marginal of the columns `columns` only (a sub-block of Σ).
torch::Tensor gaussianLogDensity(const GaussianFit& fit, const torch::Tensor& features,
                                 const std::vector<int64_t>& columns);

}  // namespace cdrl
