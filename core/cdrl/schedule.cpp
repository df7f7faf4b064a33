#include "cdrl/schedule.h"

#include <cmath>
#include <stdexcept>

namespace cdrl {

Schedule::Schedule(const ScheduleOptions& options) : m_options(options) {
  m_options.validate();
  const int T = m_options.T;
  m_rows.resize(T + 1);
  for (int i = 0; i <= T; ++i) {
    LevelCoefficients& row = m_rows[i];
    row.i = i;
    row.u = static_cast<double>(i) / T;
    row.lambda = lambdaAt(row.u);
    row.alpha_bar = 1.0 / (1.0 + std::exp(-row.lambda));  // §2: ā_i = sigmoid(λ(u_i))
  }
  const double alpha_bar_0 = m_rows[0].alpha_bar;
  for (int i = 1; i <= T; ++i) {
    LevelCoefficients& row = m_rows[i];
    const double alpha_bar_prev = m_rows[i - 1].alpha_bar;
    row.r = row.alpha_bar / alpha_bar_prev;                                      // §2
    row.beta = 1.0 - row.r;                                                      // §2
    row.beta_tilde = (1.0 - alpha_bar_prev) / (1.0 - row.alpha_bar) * row.beta;  // §2
    row.anchored = i < T;
    row.m = row.anchored ? row.r : 1.0;  // §2 top level
    row.c = m_options.step_scaling == StepScaling::PerLevel
                ? std::sqrt(1.0 - alpha_bar_prev) / std::sqrt(1.0 - alpha_bar_0)  // §4
                : 1.0 / std::sqrt(1.0 - alpha_bar_0);                             // §8 toy
    row.s2 = 2.0 * m_options.step_base * row.c * row.beta;                        // §4
  }
  for (int i = 1; i <= T; ++i)
    m_rows[i].weight = std::sqrt(m_rows[1].beta / m_rows[i].beta);  // §5.6
}

const LevelCoefficients& Schedule::level(int i) const {
  if (i < 0 || i > m_options.T) throw std::out_of_range("schedule: level out of range");
  return m_rows[i];
}

double Schedule::lambdaAt(double u) const {
  // §2: λ(u) = -2 ln tan(a·u + b)
  const double b = std::atan(std::exp(-m_options.lambda_max / 2.0));
  const double a = std::atan(std::exp(-m_options.lambda_min / 2.0)) - b;
  return -2.0 * std::log(std::tan(a * u + b));
}

double Schedule::tweedieStepVariance() const {
  return m_options.step_base * m_rows[1].c * m_rows[1].beta;  // §6: s'² = b·c_1·β_1
}

}  // namespace cdrl
