// One training run per output folder: a lock on <dir>/.cdrl-run.lock held while the run lives
// (released by the kernel even when the process is killed), so two runs never interleave their
// metrics and checkpoints.
#pragma once

#include <string>

namespace cdrl {

class RunLock {
 public:
  // Throws std::runtime_error naming the folder and the holder's pid when another run holds it.
  explicit RunLock(const std::string& dir);
  ~RunLock();
  RunLock(RunLock&& other) noexcept;
  RunLock& operator=(RunLock&&) = delete;
  RunLock(const RunLock&) = delete;
  RunLock& operator=(const RunLock&) = delete;

 private:
  int m_fd = -1;
};

}  // namespace cdrl
