// Per-core batch sharding: a CPU batch's rows split into one contiguous part per core, each part
// computed on its own thread with a single intra-op thread (docs/benchmarks.md: at these sizes
// two independent half-batches beat one batch whose every op is split over both cores).
#pragma once

#include <c10/core/Device.h>

#include <condition_variable>
#include <cstdint>
#include <exception>
#include <functional>
#include <mutex>
#include <thread>
#include <vector>

namespace cdrl {

struct RowRange {
  int64_t begin = 0;
  int64_t end = 0;
  int64_t size() const { return end - begin; }
};

// Contiguous ranges covering [0, rows), at most `parts` of them, as even as possible and each at
// least `min_rows` long (so a small batch gets fewer parts, one part when rows < 2·min_rows).
std::vector<RowRange> splitRows(int64_t rows, int parts, int64_t min_rows = 1);

class ShardPool {
 public:
  using Task = std::function<void(size_t part, RowRange rows)>;

  explicit ShardPool(int workers);
  ~ShardPool();
  ShardPool(const ShardPool&) = delete;
  ShardPool& operator=(const ShardPool&) = delete;

  int workers() const { return static_cast<int>(m_threads.size()); }

  // Runs task(k, ranges[k]) for every range, each on its own worker thread (at most workers()
  // ranges), and returns when all are done. Rethrows the first part's exception. One run at a
  // time: concurrent callers wait their turn.
  void run(const std::vector<RowRange>& ranges, const Task& task);

 private:
  void loop(size_t index);

  std::vector<std::thread> m_threads;
  std::mutex m_runMutex;  // serialises run()
  std::mutex m_mutex;
  std::condition_variable m_wake;
  std::condition_variable m_done;
  const Task* m_task = nullptr;
  std::vector<RowRange> m_ranges;
  uint64_t m_generation = 0;
  size_t m_pending = 0;
  std::vector<std::exception_ptr> m_errors;
  bool m_stop = false;
};

// The process's pool: one worker per LibTorch intra-op thread as configureRuntime set them, made
// on first use. Returns nullptr with a single thread, where sharding has nothing to gain.
ShardPool* cpuShardPool();

// The parts a batch of `rows` examples of `example_size` values each is split into on `device`:
// on the CPU one per cpuShardPool() worker, at most `max_parts` (0 = no limit), each of at least
// ~4 k values, below which per-op overhead, not arithmetic, dominates (toy2d); elsewhere, and
// without a pool, the whole batch.
std::vector<RowRange> batchParts(c10::Device device, int64_t rows, int64_t example_size,
                                 int max_parts = 0);

// Runs task(k, parts[k]) for every part: on cpuShardPool()'s workers when there are several,
// on this thread when there is one.
void runParts(const std::vector<RowRange>& parts, const ShardPool::Task& task);

// Stacked rows per pass of guidance / composition terms on the CPU (GuidedEnergy::withGradient,
// GuidedInitializer): at 32 rows per core the convolutions are as fast per row as with all terms
// stacked, and only one or two terms' activations are held at a time (docs/benchmarks.md).
constexpr int64_t kCpuTermRows = 32;

}  // namespace cdrl
