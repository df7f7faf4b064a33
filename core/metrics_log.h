// Training metrics as JSON lines, flushed per line so another program can tail the file live
// (docs/metrics-format.md).
#pragma once

#include "trainer.h"

#include <nlohmann/json.hpp>

#include <fstream>
#include <string>

namespace cdrl {

struct ThroughputStats {
  double wall_seconds = 0;   // since the run (or resume) started
  double samples_per_s = 0;  // training examples per second over the last interval
};

nlohmann::json metricsLine(const StepStats& stats, const ThroughputStats& throughput);

class MetricsLog {
 public:
  // Appends (a resumed run continues its file). Throws std::runtime_error naming the path.
  explicit MetricsLog(const std::string& path);
  void write(const nlohmann::json& line);

 private:
  std::string m_path;
  std::ofstream m_out;
};

}  // namespace cdrl
