// Helpers shared by every test suite: temporary folders, error messages and free ports (Qt Core
// only).
#pragma once

#include <QDir>
#include <QString>

#include <netinet/in.h>
#include <sys/socket.h>
#include <unistd.h>

#include <functional>
#include <string>

namespace cdrl::test {

// A fresh folder under the build tree for one test's files.
inline std::string tempDir(const QString& name) {
  QDir dir(QStringLiteral(CDRL_TEST_TMP) + "/" + name);
  dir.removeRecursively();
  dir.mkpath(".");
  return dir.absolutePath().toStdString();
}

// Runs `f` and returns the std::exception message it throws, or "" when it does not throw.
inline std::string errorOf(const std::function<void()>& f) {
  try {
    f();
  } catch (const std::exception& e) {
    return e.what();
  }
  return {};
}

// A TCP port on 127.0.0.1 that nothing listens on now (the kernel's choice for port 0).
inline int freePort() {
  const int fd = ::socket(AF_INET, SOCK_STREAM, 0);
  sockaddr_in addr{};
  addr.sin_family = AF_INET;
  addr.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
  ::bind(fd, reinterpret_cast<sockaddr*>(&addr), sizeof addr);
  socklen_t size = sizeof addr;
  ::getsockname(fd, reinterpret_cast<sockaddr*>(&addr), &size);
  ::close(fd);
  return ntohs(addr.sin_port);
}

inline bool contains(const std::string& text, const std::string& part) {
  return text.find(part) != std::string::npos;
}

}  // namespace cdrl::test
