// Metrics as JSON lines, flushed per line so another program can tail the file live
// (docs/metrics-format.md).
#pragma once

#include <nlohmann/json.hpp>

#include <fstream>
#include <string>

namespace cdrl {

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
