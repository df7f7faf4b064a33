#include "runtime/flop_counter.h"

namespace cdrl {

namespace {
thread_local FlopCounter* t_counter = nullptr;
}  // namespace

FlopCounter::FlopCounter() : m_outer(t_counter) { t_counter = this; }
FlopCounter::~FlopCounter() { t_counter = m_outer; }

void FlopCounter::add(int64_t flops) {
  if (t_counter) t_counter->m_flops += flops;
}

}  // namespace cdrl
