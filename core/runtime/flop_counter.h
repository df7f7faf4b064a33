// Counts the multiply-add FLOPs of linear and convolution layers run on this thread, for
// benchmarks that compare achieved FLOP/s with the machine's (docs/benchmarks.md).
#pragma once

#include <cstdint>

namespace cdrl {

class FlopCounter {
 public:
  FlopCounter();
  ~FlopCounter();
  FlopCounter(const FlopCounter&) = delete;
  FlopCounter& operator=(const FlopCounter&) = delete;
  int64_t flops() const { return m_flops; }

  // Called by layers: adds to the innermost active counter on this thread, if any.
  static void add(int64_t flops);

 private:
  int64_t m_flops = 0;
  FlopCounter* m_outer;
};

}  // namespace cdrl
