// Early warning of a training runaway from the EBM's gradient norm (docs/reliability.md).
#pragma once

#include <cstdint>
#include <deque>
#include <optional>
#include <vector>

namespace cdrl {

// In every runaway measured here (faces-tiny near step 8 000: three on the CPU, two on a GPU)
// the EBM's pre-clip gradient norm left its usual range 140–380 steps before the samples' RMS
// passed 10, while in healthy runs no logged step exceeded 4× the median of the 500 before it.
// Stopping on the norm keeps the checkpoint from before the blow-up.
struct RunawayWatchOptions {
  int64_t recent = 10;         // steps in the recent median (a lone spike cannot trip it)
  int64_t baseline = 500;      // steps before those, whose median is the usual level
  int64_t min_baseline = 100;  // steps of usual level needed before anything is judged
  double ratio = 30;           // recent median / usual median that stops training
};

class RunawayWatch {
 public:
  explicit RunawayWatch(RunawayWatchOptions options = {});

  struct Alarm {
    double recent_median;
    double baseline_median;
  };
  // Records one step's norm; an Alarm when the recent median is over `ratio` × the usual one.
  std::optional<Alarm> add(double grad_norm);

  // The norms held, oldest first: a checkpoint stores them so a resumed run judges from its first
  // step instead of waiting for a new baseline.
  std::vector<double> history() const { return {m_history.begin(), m_history.end()}; }
  // Replaces the norms held (only the last baseline + recent are kept). Throws
  // std::invalid_argument on a norm that is negative or not finite.
  void restore(const std::vector<double>& history);

 private:
  RunawayWatchOptions m_options;
  std::deque<double> m_history;  // oldest first, at most baseline + recent
};

}  // namespace cdrl
