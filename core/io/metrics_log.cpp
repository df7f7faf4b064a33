#include "io/metrics_log.h"

#include <stdexcept>

namespace cdrl {

MetricsLog::MetricsLog(const std::string& path) : m_path(path), m_out(path, std::ios::app) {
  if (!m_out) throw std::runtime_error("cannot open metrics file " + path);
}

void MetricsLog::write(const nlohmann::json& line) {
  m_out << line.dump() << '\n';
  m_out.flush();
  if (!m_out) throw std::runtime_error("cannot write metrics file " + m_path);
}

}  // namespace cdrl
