// The metrics.jsonl reader the studio follows runs with: any file content gives rows (restart
// markers reconciled) and a count of skipped lines, never an exception.
#include "fuzz_support.h"
#include "io/metrics_tail.h"

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  const auto [first, more] = cdrl::fuzz::split(data, size);
  const auto path = cdrl::fuzz::writeScratch("metrics.jsonl", first);
  cdrl::MetricsTail tail(path);
  tail.poll();
  // The file grows (or shrinks) between two polls, as a live run's does.
  cdrl::fuzz::writeScratch("metrics.jsonl", std::string(first) + std::string(more));
  tail.poll();
  return 0;
}
