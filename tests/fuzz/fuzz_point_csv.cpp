// The 2-D point CSV reader (`--data csv:FILE`).
#include "data/point_csv.h"
#include "fuzz_support.h"

#include <stdexcept>

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  const auto path =
      cdrl::fuzz::writeScratch("points.csv", {reinterpret_cast<const char*>(data), size});
  try {
    cdrl::readPointCsv(path);
  } catch (const std::exception&) {
  }
  return 0;
}
