// Small string helpers shared by the text-file readers.
#pragma once

#include <string>

namespace cdrl {

// `s` without leading and trailing white space.
inline std::string trim(const std::string& s) {
  const char* space = " \t\r\n\v\f";
  const auto begin = s.find_first_not_of(space);
  if (begin == std::string::npos) return {};
  const auto end = s.find_last_not_of(space);
  return s.substr(begin, end - begin + 1);
}

}  // namespace cdrl
