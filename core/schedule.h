// Per-level noise schedule of ALGORITHM.md §2 and the Langevin step variances of §4,
// tabulated once in double precision.
#pragma once

#include <string>
#include <vector>

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

// One row of the table; entries that need a level below (i = 0) are zero there.
struct LevelCoefficients {
  int i = 0;
  double u = 0;           // i / T
  double lambda = 0;      // λ(u_i)
  double alpha_bar = 0;   // ā_i = sigmoid(λ_i)
  double r = 0;           // ā_i / ā_{i-1}
  double beta = 0;        // β_i = 1 - r_i
  double beta_tilde = 0;  // (1 - ā_{i-1}) / (1 - ā_i) · β_i
  double m = 0;           // m_i = r_i for i < T, 1 at i = T
  double c = 0;           // step-size multiplier c_i
  double s2 = 0;          // Langevin step variance s_i² = 2·b·c_i·β_i
  double weight = 0;      // loss weight w_i = sqrt(β_1) / sqrt(β_i)
  bool anchored = false;  // whether the recovery term ‖y - x_i‖²/(2β_i) is present (i < T)
};

class Schedule {
 public:
  explicit Schedule(const ScheduleOptions& options = {});

  const ScheduleOptions& options() const { return m_options; }
  int T() const { return m_options.T; }
  // Row i, 0 ≤ i ≤ T.
  const LevelCoefficients& level(int i) const;
  // λ(u) of §2 for any u in [0, 1].
  double lambdaAt(double u) const;
  // s'² of the final Tweedie step (§6).
  double tweedieStepVariance() const;

 private:
  ScheduleOptions m_options;
  std::vector<LevelCoefficients> m_rows;
};

std::string toString(StepScaling scaling);
StepScaling stepScalingFromString(const std::string& name);

}  // namespace cdrl
