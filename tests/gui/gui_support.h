// Helpers shared by the GUI suites.
#pragma once

#include <QWidget>

namespace cdrl::test {

// The child widget `name` of `w`; aborts the suite with the name when it is missing.
template <typename T>
T* child(QWidget& w, const char* name) {
  auto* c = w.findChild<T*>(name);
  if (!c) qFatal("no child %s", name);
  return c;
}

}  // namespace cdrl::test
