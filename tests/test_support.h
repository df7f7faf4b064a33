// Helpers shared by every test suite: temporary folders and error messages (Qt Core only).
#pragma once

#include <QDir>
#include <QString>

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

inline bool contains(const std::string& text, const std::string& part) {
  return text.find(part) != std::string::npos;
}

}  // namespace cdrl::test
