// One training step's statistics as one line of metrics.jsonl (docs/metrics-format.md).
#pragma once

#include "cdrl/trainer.h"

#include <nlohmann/json.hpp>

namespace cdrl {

struct ThroughputStats {
  double wall_seconds = 0;   // since the run (or resume) started
  double samples_per_s = 0;  // training examples per second over the last interval
};

nlohmann::json metricsLine(const StepStats& stats, const ThroughputStats& throughput);

}  // namespace cdrl
