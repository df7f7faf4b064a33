// Named, documented model presets (ALGORITHM.md §3; docs/presets.md).
#pragma once

#include "data/dataset.h"
#include "io/model_config.h"
#include "io/train_options.h"

#include <string>
#include <vector>

namespace cdrl {

struct Preset {
  std::string name;
  std::string summary;    // one line for --help and docs
  ModelConfig model;      // data fields are filled from the data set by `presetFor`
  TrainOptions training;  // defaults measured for this preset
};

std::vector<std::string> presetNames();
// Throws std::invalid_argument listing the valid names.
Preset preset(const std::string& name);
// The preset's model configuration with data shape, classes and scaling taken from `data`.
ModelConfig presetFor(const std::string& name, const Dataset& data, bool conditional);

}  // namespace cdrl
