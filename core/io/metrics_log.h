// Metrics as JSON lines, each appended whole by one write so another program can tail the file
// live and a crash can tear at most the last line (docs/metrics-format.md).
#pragma once

#include <nlohmann/json.hpp>

#include <cstdint>
#include <string>

namespace cdrl {

class MetricsLog {
 public:
  // Appends to `path` (a resumed run continues its file). A torn last line (a crash or a full disk
  // mid-write) is cut off first. When the file already has lines, a restart marker
  // {"restart": resumed_step} follows them: readers drop earlier lines with a larger step, which
  // a run killed after its last checkpoint wrote and its resumption writes again. Throws
  // std::runtime_error naming the path.
  MetricsLog(const std::string& path, int64_t resumed_step);
  ~MetricsLog();
  MetricsLog(const MetricsLog&) = delete;
  MetricsLog& operator=(const MetricsLog&) = delete;

  void write(const nlohmann::json& line);

 private:
  std::string m_path;
  int m_fd = -1;
};

// The key of the restart marker line.
inline constexpr const char* kMetricsRestartKey = "restart";

}  // namespace cdrl
