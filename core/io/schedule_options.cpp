#include "io/schedule_options.h"

#include "runtime/limits.h"

#include <cmath>
#include <stdexcept>

namespace cdrl {

void ScheduleOptions::validate() const {
  limits::checkRange("schedule: T", T, 1, limits::kMaxLevels);
  if (!std::isfinite(lambda_min) || !std::isfinite(lambda_max))
    throw std::invalid_argument("schedule: lambda_min and lambda_max must be finite");
  if (!(lambda_max > lambda_min))
    throw std::invalid_argument("schedule: lambda_max must exceed lambda_min");
  if (!(step_base > 0)) throw std::invalid_argument("schedule: step_base must be positive");
  limits::checkRange("schedule: K", K, 1, limits::kMaxLangevinSteps);
}

std::string toString(StepScaling scaling) {
  switch (scaling) {
    case StepScaling::PerLevel:
      return "per-level";
    case StepScaling::Constant:
      return "constant";
  }
  return "per-level";
}

StepScaling stepScalingFromString(const std::string& name) {
  if (name == "per-level") return StepScaling::PerLevel;
  if (name == "constant") return StepScaling::Constant;
  throw std::invalid_argument("unknown step scaling '" + name +
                              "' (expected per-level or constant)");
}

}  // namespace cdrl
