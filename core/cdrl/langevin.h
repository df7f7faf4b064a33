// Langevin refinement at one noise level (ALGORITHM.md §4).
#pragma once

#include "cdrl/schedule.h"

#include <torch/torch.h>

#include <atomic>
#include <functional>
#include <vector>

namespace cdrl {

// F(y) → [B], with autograd history w.r.t. y.
using EnergyFunction = std::function<torch::Tensor(const torch::Tensor& y)>;
// y → (F(y) [B], ∇_y F(y)), both detached, for energies that compute their own gradient
// (GuidedEnergy::withGradient).
using EnergyGradient =
    std::function<std::pair<torch::Tensor, torch::Tensor>(const torch::Tensor& y)>;

// Per-sample constants of the update y ← y + a·∇F − b·(y − x_i) + σ·ε, broadcastable to y.
// With step variance h = s_i²·K/K' (§4: s_i scaled by sqrt(K/K') for K' sampling steps) and the
// density log p = F/s_i² − ‖y − x_i‖²/(2β_i) held fixed: a = h/(2s_i²), b = h/(2β_i) (0 at
// i = T), σ = sqrt(h). With K' = K this is the §4 step ½∇F − (s_i²/(2β_i))(y − x_i) + s_i·ε.
struct LangevinCoefficients {
  torch::Tensor grad_scale;  // a
  torch::Tensor anchor;      // b
  torch::Tensor noise_std;   // σ
};

// `levels` int64 [B] (or [1] for one level for all) in 1..T; `steps` = K'; `data_dims` = y.dim()
// − 1.
LangevinCoefficients langevinCoefficients(const Schedule& schedule, const torch::Tensor& levels,
                                          int steps, int64_t data_dims);

struct LangevinOptions {
  int steps = 15;             // K' (the schedule's K in training)
  bool noise = true;          // add σ·ε (off = deterministic gradient ascent, for inspection)
  bool keep_steps = false;    // keep every intermediate y (on the CPU) for replay
  int64_t keep_samples = -1;  // with keep_steps: only the first N samples' chains (−1 = all)
  bool record = true;         // record mean energy and displacement from the proposal per step
};

struct LangevinResult {
  torch::Tensor y;                   // ỹ
  std::vector<torch::Tensor> steps;  // y after each step (keep_steps), CPU
  std::vector<double> energy;        // mean F(y) before each step
  std::vector<double> displacement;  // mean ‖y − ŷ‖ after each step
  int steps_done = 0;
  bool cancelled = false;
};

// F(y) and ∇_y F(y) for the batch; parameters get no gradient.
std::pair<torch::Tensor, torch::Tensor> energyAndGradient(const EnergyFunction& energy,
                                                          const torch::Tensor& y);

// One update of §4 given ∇F at y and fresh noise ε (or an undefined ε for no noise).
torch::Tensor langevinStep(const torch::Tensor& y, const torch::Tensor& x_i,
                           const torch::Tensor& grad_F, const LangevinCoefficients& coeff,
                           const torch::Tensor& eps);

// ε for step k (0-based) of a chain now at y: drawn as the step needs it, or a part of noise drawn
// ahead (the sampler draws a level's noise for the whole batch, then refines parts of it on
// separate cores, so a seed gives the same samples however the batch is split).
using LangevinNoise = std::function<torch::Tensor(int k, const torch::Tensor& y)>;

// K' steps from the proposal ŷ. Stops between steps once `cancel` is set.
LangevinResult langevinRefine(const torch::Tensor& y_hat, const torch::Tensor& x_i,
                              const LangevinCoefficients& coeff, const EnergyGradient& energy,
                              const LangevinOptions& options, const LangevinNoise& noise,
                              const std::atomic<bool>* cancel = nullptr);

// The same for an energy differentiated by autograd (energyAndGradient), ε drawn from `generator`
// on the CPU at each step, so a seed gives the same chain on every device.
LangevinResult langevinRefine(const torch::Tensor& y_hat, const torch::Tensor& x_i,
                              const LangevinCoefficients& coeff, const EnergyFunction& energy,
                              const LangevinOptions& options, torch::Generator generator,
                              const std::atomic<bool>* cancel = nullptr);

}  // namespace cdrl
