// The options record of the noise schedule and Langevin step variances (ALGORITHM.md §2, §4, §8):
// stored in every checkpoint's configuration, tabulated by cdrl/schedule.
#pragma once

#include <string>

namespace cdrl {

// How the Langevin step variance grows with the level (ALGORITHM.md §4 and §8).
enum class StepScaling {
  PerLevel,  // c_i = sqrt(1 - ā_{i-1}) / sqrt(1 - ā_0)  (image runs [ref])
  Constant,  // c_i = 1 / sqrt(1 - ā_0) for every level  (the reference's 2-D toy run)
};

struct ScheduleOptions {
  int T = 6;                 // number of noise levels [paper]
  double lambda_min = -5.1;  // log-SNR at u = 1 [ref]
  double lambda_max = 9.8;   // log-SNR at u = 0 [ref]
  double step_base = 2e-4;   // b in s_i² = 2·b·c_i·β_i and s'² = b·c_1·β_1 [ref]
  StepScaling step_scaling = StepScaling::PerLevel;  // how c_i is formed
  int K = 15;  // Langevin steps per level used in training [paper]

  // Throws std::invalid_argument naming the bad field.
  void validate() const;
};

std::string toString(StepScaling scaling);
StepScaling stepScalingFromString(const std::string& name);

}  // namespace cdrl
