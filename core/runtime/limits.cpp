#include "runtime/limits.h"

#include <unistd.h>

#include <cmath>
#include <cstdio>
#include <stdexcept>

namespace cdrl::limits {

int64_t memoryBudget() {
  const long pages = sysconf(_SC_PHYS_PAGES);
  const long page_size = sysconf(_SC_PAGESIZE);
  if (pages <= 0 || page_size <= 0) return int64_t{4} << 30;  // unknown: assume a small machine
  return static_cast<int64_t>(pages) * page_size / 2;
}

std::string formatBytes(double bytes) {
  const char* units[] = {"B", "KiB", "MiB", "GiB", "TiB", "PiB", "EiB"};
  int unit = 0;
  while (bytes >= 1024 && unit < 6) {
    bytes /= 1024;
    ++unit;
  }
  char text[48];
  std::snprintf(text, sizeof text, unit == 0 ? "%.0f %s" : "%.1f %s", bytes, units[unit]);
  return text;
}

void checkRange(const std::string& what, int64_t value, int64_t lo, int64_t hi) {
  if (value < lo)
    throw std::invalid_argument(what + " is " + std::to_string(value) + "; it must be at least " +
                                std::to_string(lo));
  if (value > hi)
    throw std::invalid_argument(what + " is " + std::to_string(value) + "; the limit is " +
                                std::to_string(hi));
}

void checkMemory(const std::string& what, double bytes) {
  const auto budget = static_cast<double>(memoryBudget());
  if (!(bytes <= budget))
    throw std::invalid_argument(what + " needs " + formatBytes(bytes) + "; this machine allows " +
                                formatBytes(budget) + " (half its memory)");
}

int64_t parseCount(const std::string& text, const std::string& what, int64_t lo, int64_t hi) {
  const bool digits = !text.empty() && text.size() <= 18 &&
                      text.find_first_not_of("0123456789") == std::string::npos;
  if (!digits) {
    const std::string shown = text.size() > 24 ? text.substr(0, 24) + "…" : text;
    throw std::invalid_argument(what + " '" + shown + "' is not a whole number of at most " +
                                std::to_string(hi));
  }
  const int64_t value = std::stoll(text);
  checkRange(what, value, lo, hi);
  return value;
}

}  // namespace cdrl::limits
