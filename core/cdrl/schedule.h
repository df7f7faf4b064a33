// Per-level noise schedule of ALGORITHM.md §2 and the Langevin step variances of §4,
// tabulated once in double precision.
#pragma once

#include "io/schedule_options.h"

#include <vector>

namespace cdrl {

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

}  // namespace cdrl
