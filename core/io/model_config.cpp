#include "io/model_config.h"

#include "runtime/limits.h"

#include <stdexcept>

namespace cdrl {

void ModelConfig::validate() const {
  schedule.validate();
  ebm.validate("ebm");
  initializer.validate("initializer");
  if (data_shape.empty()) throw std::invalid_argument("model: data_shape is empty");
  int64_t elements = 1;
  for (const auto d : data_shape) {
    limits::checkRange("model: a data_shape axis", d, 1, limits::kMaxDimension);
    elements *= d;  // ≤ 4096 per axis, so this cannot overflow before the check below trips
    limits::checkRange("model: elements per example", elements, 1, limits::kMaxExampleElements);
  }
  limits::checkRange("model: num_classes", num_classes, 0, limits::kMaxClasses);
  if (!class_names.empty() && static_cast<int64_t>(class_names.size()) != num_classes)
    throw std::invalid_argument("model: class_names must have num_classes entries");
}

int64_t ModelConfig::exampleElements() const {
  int64_t elements = 1;
  for (const auto d : data_shape) elements *= d;
  return elements;
}

nlohmann::json toJson(const ModelConfig& c) {
  const auto& s = c.schedule;
  return {{"preset", c.preset},
          {"data_shape", c.data_shape},
          {"dataset", c.dataset},
          {"num_classes", c.num_classes},
          {"class_names", c.class_names},
          {"data_shift", c.data_shift},
          {"data_scale", c.data_scale},
          {"schedule",
           {{"T", s.T},
            {"lambda_min", s.lambda_min},
            {"lambda_max", s.lambda_max},
            {"step_base", s.step_base},
            {"step_scaling", toString(s.step_scaling)},
            {"K", s.K}}},
          {"ebm", toJson(c.ebm)},
          {"initializer", toJson(c.initializer)}};
}

ModelConfig modelConfigFromJson(const nlohmann::json& j) {
  ModelConfig c;
  try {
    c.preset = j.at("preset").get<std::string>();
    c.data_shape = j.at("data_shape").get<std::vector<int64_t>>();
    c.dataset = j.at("dataset").get<std::string>();
    c.num_classes = j.at("num_classes").get<int64_t>();
    c.class_names = j.at("class_names").get<std::vector<std::string>>();
    c.data_shift = j.at("data_shift").get<std::vector<double>>();
    c.data_scale = j.at("data_scale").get<std::vector<double>>();
    const auto& s = j.at("schedule");
    c.schedule.T = s.at("T").get<int>();
    c.schedule.lambda_min = s.at("lambda_min").get<double>();
    c.schedule.lambda_max = s.at("lambda_max").get<double>();
    c.schedule.step_base = s.at("step_base").get<double>();
    c.schedule.step_scaling = stepScalingFromString(s.at("step_scaling").get<std::string>());
    c.schedule.K = s.at("K").get<int>();
    c.ebm = networkConfigFromJson(j.at("ebm"));
    c.initializer = networkConfigFromJson(j.at("initializer"));
  } catch (const nlohmann::json::exception& e) {
    throw std::runtime_error(std::string("model configuration: ") + e.what());
  } catch (const std::invalid_argument& e) {
    throw std::runtime_error(std::string("model configuration: ") + e.what());
  }
  try {
    c.validate();
  } catch (const std::invalid_argument& e) {
    throw std::runtime_error(std::string("model configuration: ") + e.what());
  }
  return c;
}

}  // namespace cdrl
