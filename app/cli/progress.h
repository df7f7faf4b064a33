// A one-line progress display on stderr: step, rate, ETA and a caller's note.
#pragma once

#include <chrono>
#include <cstdint>
#include <string>

namespace cdrl::cli {

class Progress {
 public:
  Progress(int64_t first, int64_t total);
  void update(int64_t done, const std::string& note);
  void finish();
  static std::string number(double value);
  static std::string duration(double seconds);

 private:
  int64_t m_first, m_total;
  bool m_tty;
  std::chrono::steady_clock::time_point m_start, m_lastPrint;
};

}  // namespace cdrl::cli
