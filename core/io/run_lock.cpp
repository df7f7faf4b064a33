#include "io/run_lock.h"

#include <fcntl.h>
#include <sys/file.h>
#include <unistd.h>

#include <cerrno>
#include <cstring>
#include <filesystem>
#include <stdexcept>
#include <string>

namespace cdrl {

RunLock::RunLock(const std::string& dir) {
  const std::string path = (std::filesystem::path(dir) / ".cdrl-run.lock").string();
  m_fd = ::open(path.c_str(), O_RDWR | O_CREAT | O_CLOEXEC, 0644);
  if (m_fd < 0) throw std::runtime_error(path + ": cannot create lock: " + std::strerror(errno));
  if (::flock(m_fd, LOCK_EX | LOCK_NB) != 0) {
    char holder[32] = {};
    const ssize_t n = ::pread(m_fd, holder, sizeof holder - 1, 0);
    ::close(m_fd);
    m_fd = -1;
    const std::string pid = n > 0 ? std::string(holder, static_cast<size_t>(n)) : "unknown";
    throw std::runtime_error("another training run (pid " + pid.substr(0, pid.find('\n')) +
                             ") is writing into " + dir +
                             "; stop it first or choose another folder");
  }
  // The holder's pid, for the message above; best effort (without it the message says "unknown").
  const std::string pid = std::to_string(::getpid()) + "\n";
  const bool written = ::ftruncate(m_fd, 0) == 0 && ::pwrite(m_fd, pid.data(), pid.size(), 0) ==
                                                        static_cast<ssize_t>(pid.size());
  static_cast<void>(written);
}

RunLock::RunLock(RunLock&& other) noexcept : m_fd(other.m_fd) { other.m_fd = -1; }

RunLock::~RunLock() {
  if (m_fd >= 0) ::close(m_fd);  // releases the lock
}

}  // namespace cdrl
