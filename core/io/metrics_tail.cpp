#include "io/metrics_tail.h"

#include "io/metrics_log.h"

#include <algorithm>

#include <filesystem>
#include <fstream>

namespace cdrl {

MetricsRow flattenMetricsLine(const nlohmann::json& line) {
  MetricsRow row;
  row.step = line.at("step").get<int64_t>();
  for (const auto& [key, value] : line.items())
    if (value.is_number() && key != "step") row.values[key] = value.get<double>();
  if (line.contains("levels") && line["levels"].is_array())
    for (const auto& level : line["levels"]) {
      if (!level.is_object() || !level.contains("level")) continue;
      const std::string prefix = "level" + std::to_string(level["level"].get<int>()) + "/";
      for (const auto& [key, value] : level.items())
        if (value.is_number() && key != "level") row.values[prefix + key] = value.get<double>();
    }
  return row;
}

MetricsTail::MetricsTail(std::string path) : m_path(std::move(path)) {}

MetricsTail::Update MetricsTail::poll() {
  Update update;
  std::error_code ec;
  const auto size = std::filesystem::file_size(m_path, ec);
  if (ec) return update;
  if (size < m_offset) {  // truncated or replaced by a new run
    m_offset = 0;
    m_partial.clear();
    update.restarted = true;
  }
  if (size == m_offset) return update;
  std::ifstream in(m_path, std::ios::binary);
  if (!in) return update;
  in.seekg(static_cast<std::streamoff>(m_offset));
  std::string chunk(size - m_offset, '\0');
  in.read(chunk.data(), static_cast<std::streamsize>(chunk.size()));
  chunk.resize(static_cast<size_t>(in.gcount()));
  m_offset += chunk.size();
  m_partial += chunk;
  size_t begin = 0;
  for (size_t end; (end = m_partial.find('\n', begin)) != std::string::npos; begin = end + 1) {
    const std::string line = m_partial.substr(begin, end - begin);
    if (line.find_first_not_of(" \t\r") == std::string::npos) continue;
    const auto json = nlohmann::json::parse(line, nullptr, /*allow_exceptions=*/false);
    if (json.is_object() && json.contains(kMetricsRestartKey) &&
        json[kMetricsRestartKey].is_number_integer()) {
      const auto after = json[kMetricsRestartKey].get<int64_t>();
      update.rows.erase(std::remove_if(update.rows.begin(), update.rows.end(),
                                       [after](const MetricsRow& row) { return row.step > after; }),
                        update.rows.end());
      update.superseded_after = std::min(after, update.superseded_after.value_or(after));
      continue;
    }
    if (!json.is_object() || !json.contains("step") || !json["step"].is_number_integer()) {
      ++update.skipped;
      continue;
    }
    update.rows.push_back(flattenMetricsLine(json));
  }
  m_partial.erase(0, begin);
  return update;
}

}  // namespace cdrl
