// Algorithm 2 (ALGORITHM.md §6): from noise through every level to a clean sample, reporting each
// level as it finishes. Qt-free: progress goes to a callback, cancellation is an atomic flag.
#pragma once

#include "cdrl/guidance.h"
#include "cdrl/langevin.h"
#include "cdrl/model.h"

#include <torch/torch.h>

#include <atomic>
#include <cstdint>
#include <functional>
#include <vector>

namespace cdrl {

struct SampleOptions {
  int64_t count = 16;         // samples drawn at once
  uint64_t seed = 0;          // fixes x_T and all noise: same seed + options = same samples
  int steps = 0;              // K' Langevin steps per level; 0 = the model's training K
  bool use_ema = true;        // EMA weights (as the paper samples) or the raw ones
  bool noise = true;          // proposal and Langevin noise; off = deterministic refinement
  bool keep_steps = false;    // keep every Langevin step of every level in the trace
  int64_t keep_samples = -1;  // with keep_steps: only the first N samples' steps (−1 = all)
  bool denoise = true;        // final Tweedie step (§6)
  Condition condition = Condition::none();  // guidance / composition (§7)
  int shards = 0;      // CPU: batch parts refined on separate cores (0 = one per thread, 1 = whole)
  int64_t run_id = 0;  // echoed in every report, so callers can drop stale results
  // Row 0 of this call is row first_row of a larger draw with the same seed: a draw split into
  // calls of any size gives the same samples as one call (each row's noise is its own).
  int64_t first_row = 0;
  torch::Tensor x_T;  // start from this [count, data shape…] instead of drawing x_T (tests)

  // Throws std::invalid_argument naming the bad field.
  void validate(const ModelConfig& config) const;
};

// One finished level i (T … 1), all tensors detached and on the CPU.
struct LevelTrace {
  int64_t run_id = 0;
  int level = 0;                          // i
  int levels = 0;                         // T
  torch::Tensor x_i;                      // the level's input
  torch::Tensor y_hat;                    // initializer proposal ŷ
  torch::Tensor y_tilde;                  // Langevin-refined ỹ
  torch::Tensor x_prev;                   // x_{i−1} = ỹ / sqrt(m_i)
  std::vector<torch::Tensor> steps;       // y after each Langevin step (SampleOptions::keep_steps)
  std::vector<double> step_energy;        // mean F before each step
  std::vector<double> step_displacement;  // mean ‖y − ŷ‖ after each step
  double energy_proposal = 0;             // mean F(ŷ)
  double energy_refined = 0;              // mean F(ỹ)
};

struct SampleResult {
  int64_t run_id = 0;
  uint64_t seed = 0;
  torch::Tensor samples;  // x̂_0 after Tweedie (or x_0 without), CPU, not clipped
  bool cancelled = false;
  int levels_done = 0;
};

using LevelCallback = std::function<void(const LevelTrace&)>;

SampleResult sample(Model& model, const SampleOptions& options, const LevelCallback& on_level = {},
                    const std::atomic<bool>* cancel = nullptr);

// §6 final step: x̂_0 = (x_0 + (1 − ā_0)·∇_x[F(sqrt(m_1)·x_0)/s'²]) / sqrt(ā_0).
torch::Tensor tweedieDenoise(const Schedule& schedule, const EnergyGradient& energy_level1,
                             const torch::Tensor& x_0);

}  // namespace cdrl
