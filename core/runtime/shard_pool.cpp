#include "runtime/shard_pool.h"

#include <torch/torch.h>

#include <omp.h>

#include <algorithm>
#include <memory>
#include <stdexcept>

namespace cdrl {

std::vector<RowRange> splitRows(int64_t rows, int parts, int64_t min_rows) {
  if (rows < 0 || parts < 1 || min_rows < 1)
    throw std::invalid_argument("splitRows: rows ≥ 0, parts ≥ 1 and min_rows ≥ 1 expected");
  const int64_t n = std::max<int64_t>(1, std::min<int64_t>(parts, rows / min_rows));
  std::vector<RowRange> ranges;
  int64_t begin = 0;
  for (int64_t k = 0; k < n; ++k) {
    const int64_t size = rows / n + (k < rows % n ? 1 : 0);
    ranges.push_back({begin, begin + size});
    begin += size;
  }
  return ranges;
}

ShardPool::ShardPool(int workers) {
  if (workers < 1) throw std::invalid_argument("ShardPool: at least one worker expected");
  for (int k = 0; k < workers; ++k) m_threads.emplace_back([this, k] { loop(k); });
}

ShardPool::~ShardPool() {
  {
    std::lock_guard<std::mutex> lock(m_mutex);
    m_stop = true;
  }
  m_wake.notify_all();
  for (auto& t : m_threads) t.join();
}

void ShardPool::run(const std::vector<RowRange>& ranges, const Task& task) {
  if (ranges.size() > m_threads.size())
    throw std::invalid_argument("ShardPool::run: more ranges than workers");
  if (ranges.empty()) return;
  std::lock_guard<std::mutex> turn(m_runMutex);
  std::unique_lock<std::mutex> lock(m_mutex);
  m_task = &task;
  m_ranges = ranges;
  m_pending = ranges.size();
  m_errors.assign(ranges.size(), nullptr);
  ++m_generation;
  m_wake.notify_all();
  m_done.wait(lock, [this] { return m_pending == 0; });
  m_task = nullptr;
  for (const auto& error : m_errors)
    if (error) std::rethrow_exception(error);
}

void ShardPool::loop(size_t index) {
  // LibTorch sets a thread's OpenMP team size on its first parallel op; do that now, then make
  // this thread's ops (and oneDNN's primitives, which read the same setting) single-threaded.
  at::get_num_threads();
  omp_set_num_threads(1);
  uint64_t seen = 0;
  for (;;) {
    std::unique_lock<std::mutex> lock(m_mutex);
    m_wake.wait(lock, [&] { return m_stop || m_generation != seen; });
    if (m_stop) return;
    seen = m_generation;
    if (index >= m_ranges.size()) continue;
    const Task* task = m_task;
    const RowRange rows = m_ranges[index];
    lock.unlock();
    std::exception_ptr error;
    try {
      (*task)(index, rows);
    } catch (...) {
      error = std::current_exception();
    }
    lock.lock();
    m_errors[index] = error;
    if (--m_pending == 0) m_done.notify_all();
  }
}

ShardPool* cpuShardPool() {
  static const std::unique_ptr<ShardPool> pool = [] {
    const int n = at::get_num_threads();
    return n > 1 ? std::make_unique<ShardPool>(n) : nullptr;
  }();
  return pool.get();
}

std::vector<RowRange> batchParts(c10::Device device, int64_t rows, int64_t example_size,
                                 int max_parts) {
  const ShardPool* pool = device.is_cpu() ? cpuShardPool() : nullptr;
  const int workers = pool ? pool->workers() : 1;
  const int parts = max_parts > 0 ? std::min(max_parts, workers) : workers;
  const int64_t min_rows = std::max<int64_t>(1, (4096 + example_size - 1) / example_size);
  return splitRows(rows, parts, min_rows);
}

void runParts(const std::vector<RowRange>& parts, const ShardPool::Task& task) {
  if (parts.size() > 1) {
    cpuShardPool()->run(parts, task);
  } else if (!parts.empty()) {
    task(0, parts.front());
  }
}

}  // namespace cdrl
