// Reads a metrics.jsonl (docs/metrics-format.md) while another process or thread appends to it:
// each poll returns the complete lines added since the last one, flattened to named numbers.
#pragma once

#include <nlohmann/json.hpp>

#include <cstdint>
#include <map>
#include <optional>
#include <string>
#include <vector>

namespace cdrl {

// One metrics line as named numbers: top-level fields as they are ("loss_ebm", …) and each
// level's fields as "level<i>/<field>" ("level3/init_error"). Non-numeric fields are dropped.
struct MetricsRow {
  int64_t step = 0;
  std::map<std::string, double> values;
};

MetricsRow flattenMetricsLine(const nlohmann::json& line);

class MetricsTail {
 public:
  explicit MetricsTail(std::string path);

  struct Update {
    std::vector<MetricsRow> rows;  // complete new lines, in file order
    bool restarted = false;        // the file shrank or was replaced: earlier rows are stale
    // A resumed run's restart marker: rows from earlier polls with a larger step are superseded
    // (`rows` is already reconciled). Unset when there was none.
    std::optional<int64_t> superseded_after;
    int skipped = 0;  // lines that were not a JSON object with a step
  };

  // A missing file is no error (the run may not have written it yet): it gives no rows. A line
  // without its newline is kept for the next poll.
  Update poll();
  const std::string& path() const { return m_path; }

 private:
  std::string m_path;
  std::uintmax_t m_offset = 0;
  std::string m_partial;
};

}  // namespace cdrl
