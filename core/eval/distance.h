// Sample-quality distances for evaluation: energy distance between two point/image sets.
#pragma once

#include <torch/torch.h>

namespace cdrl {

// Energy distance D² = 2·E‖X − Y‖ − E‖X − X'‖ − E‖Y − Y'‖ (Székely), computed in double
// precision on the flattened examples; V-statistic form (pairs with themselves included), so
// D² ≥ 0 and D²(X, X) = 0. Rows of `x` [N, ...] and `y` [M, ...].
double energyDistance(const torch::Tensor& x, const torch::Tensor& y);

}  // namespace cdrl
