// Helpers shared by the GUI suites.
#pragma once

#include "cdrl/model_checkpoint.h"
#include "main_window.h"
#include "model_support.h"
#include "test_support.h"

#include <QCoreApplication>
#include <QSettings>
#include <QSignalSpy>
#include <QStandardPaths>
#include <QString>
#include <QTest>
#include <QWidget>

#include <functional>
#include <map>
#include <string>
#include <vector>

namespace cdrl::test {

// Settings (recent files, window layout, last sampling settings) go to a scratch location, not
// the user's, and start empty.
inline void useScratchSettings() {
  QStandardPaths::setTestModeEnabled(true);
  QCoreApplication::setOrganizationName("cdrl-test");
  QSettings().clear();
}

// The child widget `name` of `w`; aborts the suite with the name when it is missing.
template <typename T>
T* child(QWidget& w, const char* name) {
  auto* c = w.findChild<T*>(name);
  if (!c) qFatal("no child %s", name);
  return c;
}

// An untrained small image model, saved once per kind: sampling it is quick and its proposal and
// refinement differ. `names` makes it conditional on those concepts.
inline QString smallCheckpoint(const std::vector<std::string>& names = {}) {
  static std::map<std::vector<std::string>, std::string> made;
  auto& path = made[names];
  if (path.empty()) {
    torch::manual_seed(0);
    ModelConfig config = smallImageConfig();
    config.schedule.K = 4;
    config.class_names = names;
    config.num_classes = static_cast<int64_t>(names.size());
    Model model(config, torch::kCPU);
    // tempDir empties its folder, so each kind gets its own.
    path = tempDir(QString("studio%1").arg(made.size())) + "/small.safetensors";
    saveCheckpoint(path, model);
  }
  return QString::fromStdString(path);
}

inline void openAndWait(studio::MainWindow& w, const std::vector<std::string>& names = {}) {
  QSignalSpy loaded(&w, &studio::MainWindow::modelLoaded);
  w.openCheckpoint(smallCheckpoint(names));
  QVERIFY(loaded.wait(30000));
}

// Applies a change to the controls and waits for the re-sample it triggers (after the
// debounce) to finish uncancelled.
inline void changeAndWait(studio::MainWindow& w, const std::function<void()>& change) {
  QSignalSpy finished(&w, &studio::MainWindow::samplingFinished);
  change();
  // Some controls re-sample at once and all of them again after the 300 ms debounce: on a fast
  // machine the first run can end before the debounced one starts, so wait past the debounce.
  QTest::qWait(500);
  QVERIFY(QTest::qWaitFor(
      [&] { return !finished.isEmpty() && !finished.last().first().toBool() && !w.isSampling(); },
      120000));
}

}  // namespace cdrl::test
