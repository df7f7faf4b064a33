#include "io/metrics_log.h"

#include <fcntl.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cerrno>
#include <cstring>
#include <stdexcept>

namespace cdrl {

namespace {

[[noreturn]] void fail(const std::string& what, const std::string& path) {
  throw std::runtime_error("cannot " + what + " metrics file " + path + ": " +
                           std::strerror(errno));
}

// The file's size after cutting everything past its last newline (a line torn by a crash).
off_t cutTornTail(int fd, const std::string& path) {
  struct stat st;
  if (::fstat(fd, &st) != 0) fail("read", path);
  off_t end = st.st_size;
  char buffer[4096];
  while (end > 0) {
    const off_t begin = end > static_cast<off_t>(sizeof buffer) ? end - sizeof buffer : 0;
    const ssize_t n = ::pread(fd, buffer, static_cast<size_t>(end - begin), begin);
    if (n < 0) fail("read", path);
    const void* newline = ::memrchr(buffer, '\n', static_cast<size_t>(n));
    if (newline) {
      end = begin + (static_cast<const char*>(newline) - buffer) + 1;
      break;
    }
    end = begin;
  }
  if (end != st.st_size && ::ftruncate(fd, end) != 0) fail("repair", path);
  return end;
}

}  // namespace

MetricsLog::MetricsLog(const std::string& path, int64_t resumed_step) : m_path(path) {
  m_fd = ::open(path.c_str(), O_RDWR | O_CREAT | O_APPEND | O_CLOEXEC, 0644);
  if (m_fd < 0) fail("open", path);
  try {
    if (cutTornTail(m_fd, path) > 0) write({{kMetricsRestartKey, resumed_step}});
  } catch (...) {
    ::close(m_fd);
    throw;
  }
}

MetricsLog::~MetricsLog() { ::close(m_fd); }

void MetricsLog::write(const nlohmann::json& line) {
  // One write(2) per line on an O_APPEND file: a reader never sees half a line from us, and a
  // failed write is undone so the next line does not merge into a torn one.
  const std::string text = line.dump() + '\n';
  struct stat st;
  const off_t before = ::fstat(m_fd, &st) == 0 ? st.st_size : -1;
  const ssize_t n = ::write(m_fd, text.data(), text.size());
  if (n == static_cast<ssize_t>(text.size())) return;
  const int error = n < 0 ? errno : ENOSPC;
  const bool undone = before >= 0 && ::ftruncate(m_fd, before) == 0;
  errno = error;  // the write's own error is what the user can act on
  fail(undone ? "write" : "write (a torn line stays, cut at the next start) to", m_path);
}

}  // namespace cdrl
