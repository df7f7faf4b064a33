// Small model configurations for the suites that build models (layers cdrl and above).
#pragma once

#include "cdrl/model.h"
#include "cdrl/preset.h"

#include <string>

namespace cdrl::test {

// A toy2d-shaped configuration, small enough for fast tests, optionally class-conditional.
inline ModelConfig smallToyConfig(int64_t num_classes = 0) {
  ModelConfig c = preset("toy2d").model;
  // The unit suites test formulas, not the recipe: the plain MLPs at K 15 keep them cheap (the
  // recipe itself is trained in test_train_toy).
  for (NetworkConfig* net : {&c.ebm, &c.initializer}) net->fourier_features = 0;
  c.schedule.step_scaling = StepScaling::PerLevel;
  c.schedule.step_base = 2e-4;
  c.schedule.K = 15;
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
