// Helpers shared by the core test suites: temporary folders and small models.
#pragma once

#include "model.h"
#include "preset.h"

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

// A toy2d-shaped configuration, small enough for fast tests, optionally class-conditional.
inline ModelConfig smallToyConfig(int64_t num_classes = 0) {
  ModelConfig c = preset("toy2d").model;
  c.ebm.width = 32;
  c.initializer.width = 32;
  c.ebm.embed_dim = 16;
  c.initializer.embed_dim = 16;
  c.dataset = "toy:8gaussians";
  c.data_shift = {0, 0};
  c.data_scale = {1, 1};
  c.num_classes = num_classes;
  for (int64_t k = 0; k < num_classes; ++k) c.class_names.push_back("class" + std::to_string(k));
  return c;
}

// A tiny image configuration (fmnist-tiny layout at reduced width).
inline ModelConfig smallImageConfig() {
  ModelConfig c = preset("fmnist-tiny").model;
  c.ebm.width = 8;
  c.initializer.width = 16;
  c.dataset = "fashion-mnist";
  c.data_shift = {0};
  c.data_scale = {1};
  return c;
}

}  // namespace cdrl::test
