#include "progress.h"

#include <unistd.h>

#include <cstdio>

namespace cdrl::cli {

Progress::Progress(int64_t first, int64_t total)
    : m_first(first),
      m_total(total),
      m_tty(isatty(fileno(stderr))),
      m_start(std::chrono::steady_clock::now()),
      m_lastPrint(m_start) {}

void Progress::update(int64_t done, const std::string& note) {
  const auto now = std::chrono::steady_clock::now();
  // A terminal gets a live line; a log file gets a line every 10 s.
  const double since = std::chrono::duration<double>(now - m_lastPrint).count();
  if (done < m_total && since < (m_tty ? 0.2 : 10.0)) return;
  m_lastPrint = now;
  const double elapsed = std::chrono::duration<double>(now - m_start).count();
  const double rate = (done - m_first) / std::max(elapsed, 1e-9);
  const double eta = rate > 0 ? (m_total - done) / rate : 0.0;
  std::fprintf(stderr, "%sstep %lld/%lld  %.2f it/s  ETA %s  %s%s", m_tty ? "\r\033[K" : "",
               static_cast<long long>(done), static_cast<long long>(m_total), rate,
               duration(eta).c_str(), note.c_str(), m_tty ? "" : "\n");
  std::fflush(stderr);
}

void Progress::finish() {
  if (m_tty) std::fprintf(stderr, "\n");
}

std::string Progress::number(double value) {
  char buf[32];
  std::snprintf(buf, sizeof buf, "%.4g", value);
  return buf;
}

std::string Progress::duration(double seconds) {
  const long s = static_cast<long>(seconds + 0.5);
  char buf[32];
  if (s >= 3600)
    std::snprintf(buf, sizeof buf, "%ldh%02ldm", s / 3600, (s / 60) % 60);
  else
    std::snprintf(buf, sizeof buf, "%ldm%02lds", s / 60, s % 60);
  return buf;
}

}  // namespace cdrl::cli
