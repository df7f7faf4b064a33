#include "io/atomic_file.h"

#include <fcntl.h>
#include <signal.h>
#include <unistd.h>

#include <cerrno>
#include <cstdio>
#include <cstring>
#include <filesystem>
#include <stdexcept>

namespace cdrl {

namespace fs = std::filesystem;

std::string temporaryPathFor(const std::string& path) {
  return path + ".tmp." + std::to_string(::getpid());
}

void writeFileAtomically(const std::string& path, std::string_view bytes) {
  const std::string tmp = temporaryPathFor(path);
  auto fail = [&](int fd, const char* what) {
    const std::string reason = std::strerror(errno);
    if (fd >= 0) ::close(fd);
    ::unlink(tmp.c_str());
    throw std::runtime_error(path + ": cannot " + what + ": " + reason);
  };
  const int fd = ::open(tmp.c_str(), O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0644);
  if (fd < 0) fail(-1, "create");
  for (size_t done = 0; done < bytes.size();) {
    const ssize_t n = ::write(fd, bytes.data() + done, bytes.size() - done);
    if (n < 0 && errno == EINTR) continue;
    if (n <= 0) {
      if (n == 0) errno = ENOSPC;
      fail(fd, "write");
    }
    done += static_cast<size_t>(n);
  }
  if (::fsync(fd) != 0) fail(fd, "write");  // delayed allocation reports a full disk here
  if (::close(fd) != 0) fail(-1, "write");
  if (std::rename(tmp.c_str(), path.c_str()) != 0) fail(-1, "rename into place");
}

int removeOrphanTemporaries(const std::string& dir) {
  int removed = 0;
  std::error_code error;
  for (const auto& entry : fs::directory_iterator(dir, error)) {
    const std::string name = entry.path().filename().string();
    const auto at = name.rfind(".tmp.");
    if (at == std::string::npos || at == 0) continue;
    const std::string pid = name.substr(at + 5);
    if (pid.empty() || pid.size() > 9 || pid.find_first_not_of("0123456789") != std::string::npos)
      continue;
    const bool running = ::kill(std::stoi(pid), 0) == 0 || errno == EPERM;
    if (!running && entry.is_regular_file(error) && fs::remove(entry.path(), error)) ++removed;
  }
  return removed;
}

}  // namespace cdrl
