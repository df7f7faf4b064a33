// The typicality score for out-of-distribution detection: how typical an input is of the
// training data by the whole model, not one level. At each of the T levels the input is noised as
// in training (fixed noise draws, so a score is deterministic); the level's EBM gives its energy
// and the log-norm of its input gradient, the initializer the log of how far its proposal lands
// from the less-noisy input: three features per level. A Gaussian fitted to the features of
// held-out in-distribution data (eval/gaussian_fit) gives the score, the log-density of an input's
// features, so too-high energy is as atypical as too-low. docs/models.md explains the choice.
#pragma once

#include "cdrl/model.h"
#include "eval/gaussian_fit.h"

#include <torch/torch.h>

#include <atomic>
#include <cstdint>
#include <functional>
#include <string>

namespace cdrl {

struct TypicalityOptions {
  int draws = 2;        // fixed noise draws averaged per level
  uint64_t seed = 0;    // of the fixed noise (the same ε for every input)
  bool use_ema = true;  // EMA weights, as for sampling
  int64_t batch = 128;  // examples per forward and backward pass
};

// Called with (examples done, examples in all) after each batch.
using ScoreProgress = std::function<void(int64_t, int64_t)>;

// 3 per level; 5 for a conditional model (below).
int64_t featuresPerLevel(const ModelConfig& config);

// Features [N, L·T] (L = featuresPerLevel), double, for inputs x [N, ...data shape] in [−1, 1].
// With one noise ε_{d,i}
// per draw d and level i for both of its noise levels, as in training (ALGORITHM.md §5.2):
// x_{i−1} = sqrt(ā_{i−1})·x + sqrt(1 − ā_{i−1})·ε_{d,i}, x_i = sqrt(ā_i)·x + sqrt(1 − ā_i)·ε_{d,i},
// and y⁺ = sqrt(m_i)·x_{i−1}. Columns 3(i−1) … 3(i−1)+2 for level i = 1 … T: the mean over draws
// of F(y⁺; λ_{i−1}, ∅), the log of the mean ‖∇_y F(y⁺)‖, and at the first draw the log of
// ‖g(x_i; λ_i, ∅) − y⁺‖ (the initializer's proposal mean, §3); for a conditional model also the
// class evidence at y⁺ (first draw), from ΔF_c = F(y⁺; λ_{i−1}, c) − F(y⁺; λ_{i−1}, ∅) over the C
// concepts (the log-ratio whose gradient guidance adds, §7): max_c ΔF_c and the margin between the
// largest and the second largest ΔF_c. Returns an undefined tensor when `cancel` was set between
// batches.
torch::Tensor typicalityFeatures(Model& model, const torch::Tensor& x,
                                 const TypicalityOptions& options = {},
                                 const std::atomic<bool>* cancel = nullptr,
                                 const ScoreProgress& progress = {});

// What `cdrl calibrate` fits and the checkpoint stores.
struct Calibration {
  GaussianFit fit;            // of the features of in-distribution data
  TypicalityOptions options;  // the features' settings: scores use the same
  torch::Tensor quantiles;    // in-distribution scores at percentiles 0, 0.1, …, 100 [1001]
  std::string data;           // the data specification it was fitted on
  int64_t count = 0;          // examples fitted
  int levels = 0;             // T
  int64_t per_level = 0;      // features per level, L
};

constexpr int64_t kCalibrationQuantiles = 1001;

// Fits the score on `in_distribution` [n, ...] (n ≥ 2). Throws std::invalid_argument naming the
// problem; returns a calibration with count 0 when cancelled.
Calibration calibrate(Model& model, const torch::Tensor& in_distribution,
                      const TypicalityOptions& options, const std::string& data,
                      const std::atomic<bool>* cancel = nullptr,
                      const ScoreProgress& progress = {});

struct TypicalityScores {
  torch::Tensor score;      // [N] log-density of the features (higher = more typical), double
  torch::Tensor per_level;  // [N, T] atypicality per level: the squared Mahalanobis distance of
                            // that level's L features under the fit's marginal (χ² with L
                            // degrees of freedom for typical inputs)
  torch::Tensor features;   // [N, L·T]
};

// Scores x with a calibration; undefined tensors when cancelled.
TypicalityScores typicalityScores(Model& model, const Calibration& calibration,
                                  const torch::Tensor& x, const std::atomic<bool>* cancel = nullptr,
                                  const ScoreProgress& progress = {});

// The percentage of the calibration's in-distribution scores at or below `score` (0 … 100),
// interpolated in its quantile table.
double percentileOf(const Calibration& calibration, double score);

// The 95% point of χ² with `degrees` (1 … 8) degrees of freedom: the per-level reference line.
double chiSquare95(int64_t degrees);

}  // namespace cdrl
