#include "cdrl/runaway_watch.h"

#include <algorithm>
#include <cmath>
#include <iterator>
#include <stdexcept>

namespace cdrl {

namespace {

// The upper median: the element at index n / 2 once sorted.
double median(std::deque<double>::const_iterator first, std::deque<double>::const_iterator last) {
  std::vector<double> v(first, last);
  const auto middle = v.begin() + static_cast<std::ptrdiff_t>(v.size() / 2);
  std::nth_element(v.begin(), middle, v.end());
  return *middle;
}

}  // namespace

RunawayWatch::RunawayWatch(RunawayWatchOptions options) : m_options(options) {}

std::optional<RunawayWatch::Alarm> RunawayWatch::add(double grad_norm) {
  m_history.push_back(grad_norm);
  if (static_cast<int64_t>(m_history.size()) > m_options.baseline + m_options.recent)
    m_history.pop_front();
  const auto held = static_cast<int64_t>(m_history.size());
  if (held < m_options.min_baseline + m_options.recent) return std::nullopt;
  const auto split = m_history.end() - static_cast<std::ptrdiff_t>(m_options.recent);
  const Alarm alarm{median(split, m_history.end()), median(m_history.begin(), split)};
  if (alarm.recent_median > m_options.ratio * alarm.baseline_median) return alarm;
  return std::nullopt;
}

void RunawayWatch::restore(const std::vector<double>& history) {
  for (const double norm : history)
    if (!std::isfinite(norm) || norm < 0)
      throw std::invalid_argument("gradient-norm history holds " + std::to_string(norm) +
                                  ", not a finite norm ≥ 0");
  const auto keep = std::min<int64_t>(static_cast<int64_t>(history.size()),
                                      m_options.baseline + m_options.recent);
  m_history.assign(history.end() - static_cast<std::ptrdiff_t>(keep), history.end());
}

}  // namespace cdrl
