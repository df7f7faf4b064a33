// Everything that defines a model: preset, data, schedule and both networks. Stored in every
// checkpoint so a checkpoint alone rebuilds its model.
#pragma once

#include "io/network_config.h"
#include "io/schedule_options.h"

#include <nlohmann/json.hpp>

#include <string>
#include <vector>

namespace cdrl {

struct ModelConfig {
  std::string preset;                    // the named preset it was built from
  std::vector<int64_t> data_shape;       // one example: {2} or {C, H, W}
  std::string dataset;                   // where the training data came from
  int64_t num_classes = 0;               // C; 0 = unconditional
  std::vector<std::string> class_names;  // C names, or empty
  std::vector<double> data_shift;        // original = data · scale + shift
  std::vector<double> data_scale;
  ScheduleOptions schedule;
  NetworkConfig ebm;
  NetworkConfig initializer;

  void validate() const;
  bool isImage() const { return data_shape.size() == 3; }
  // Values in one example: the product of data_shape.
  int64_t exampleElements() const;
};

nlohmann::json toJson(const ModelConfig& config);
// Throws std::runtime_error naming the missing or bad field.
ModelConfig modelConfigFromJson(const nlohmann::json& json);

}  // namespace cdrl
