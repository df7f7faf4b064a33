// The energy of a 2-D model tabulated on a grid, one table per level (PRODUCT.md 6): what the
// studio's landscape view draws, computed once per model and condition.
#pragma once

#include "cdrl/guidance.h"
#include "cdrl/model.h"

#include <atomic>
#include <vector>

namespace cdrl {

struct LandscapeOptions {
  int resolution = 128;  // grid nodes per axis
  // The square [−extent, extent]²: toy data lie in [−1, 1], level T's points spread to about ±3.
  double extent = 2.0;
  bool use_ema = true;
  Condition condition = Condition::none();

  // Throws std::invalid_argument naming the bad field.
  void validate(const ModelConfig& config) const;
};

// Level i's table: F(y; λ_{i−1}, c), the energy level i's Langevin chain climbs (§4, §6), and its
// gradient ∇_y F. Row-major, node (r, c) at y = (−extent + c·Δ, −extent + r·Δ),
// Δ = 2·extent / (resolution − 1): row 0 is the bottom edge.
struct LandscapeLevel {
  int level = 0;
  std::vector<float> energy, grad_x, grad_y;
};

struct Landscape {
  int resolution = 0;
  double extent = 0;
  std::vector<LandscapeLevel> levels;  // levels[i − 1] for i = 1 … T
};

// Throws std::invalid_argument for an image model. Returns what is done so far once `cancel` is
// set (levels may then hold fewer than T tables).
Landscape energyLandscape(Model& model, const LandscapeOptions& options,
                          const std::atomic<bool>* cancel = nullptr);

}  // namespace cdrl
