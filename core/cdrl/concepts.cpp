#include "cdrl/concepts.h"

#include <algorithm>
#include <stdexcept>

namespace cdrl {

int64_t conceptLabel(const std::vector<std::string>& names, const std::string& name) {
  if (names.empty())
    throw std::invalid_argument("concept " + name + ": the model names no concepts");
  const auto it = std::find(names.begin(), names.end(), name);
  if (it == names.end()) {
    std::string known;
    for (const auto& n : names) known += (known.empty() ? "" : ", ") + n;
    throw std::invalid_argument("concept " + name + ": unknown; the model has " + known);
  }
  return 1 + (it - names.begin());
}

int64_t conceptLabel(const ModelConfig& config, const std::string& name) {
  if (config.num_classes == 0)
    throw std::invalid_argument("concept " + name + ": the model is unconditional");
  return conceptLabel(config.class_names, name);
}

ConditionTerm parseConceptTerm(const std::vector<std::string>& names, const std::string& spec) {
  std::string name = spec;
  double weight = 1.0;
  if (auto colon = spec.rfind(':'); colon != std::string::npos) {
    name = spec.substr(0, colon);
    try {
      size_t used = 0;
      weight = std::stod(spec.substr(colon + 1), &used);
      if (used != spec.size() - colon - 1) throw std::invalid_argument("trailing text");
    } catch (const std::exception&) {
      throw std::invalid_argument("concept " + spec + ": weight is not a number");
    }
  }
  return {conceptLabel(names, name), weight};
}

ConditionTerm parseConceptTerm(const ModelConfig& config, const std::string& spec) {
  if (config.num_classes == 0)
    throw std::invalid_argument("concept " + spec + ": the model is unconditional");
  return parseConceptTerm(config.class_names, spec);
}

bool isAttributeModel(const ModelConfig& config) {
  if (config.class_names.empty() || config.class_names.size() % 2 != 0) return false;
  for (size_t k = 0; k < config.class_names.size(); ++k) {
    const auto& n = config.class_names[k];
    const std::string suffix = "=" + std::to_string(k % 2);
    if (n.size() <= suffix.size() || n.compare(n.size() - suffix.size(), suffix.size(), suffix))
      return false;
    if (k % 2 && n.substr(0, n.size() - 2) != config.class_names[k - 1].substr(0, n.size() - 2))
      return false;
  }
  return true;
}

AttributeValue attributeOfConcept(int64_t label) { return {(label - 1) / 2, (label - 1) % 2}; }

std::vector<std::string> attributeNames(const ModelConfig& config) {
  std::vector<std::string> names;
  if (!isAttributeModel(config)) return names;
  for (size_t k = 0; k < config.class_names.size(); k += 2)
    names.push_back(config.class_names[k].substr(0, config.class_names[k].size() - 2));
  return names;
}

torch::Tensor conceptsHold(const ModelConfig& config, const torch::Tensor& judged,
                           const std::vector<int64_t>& labels) {
  auto hold = torch::ones({judged.size(0)}, torch::kBool);
  const bool attributes = isAttributeModel(config);
  for (int64_t label : labels) {
    if (label < 1 || label > config.num_classes)
      throw std::invalid_argument("concept label " + std::to_string(label) + " out of range");
    if (attributes) {
      const auto [a, v] = attributeOfConcept(label);
      hold = hold & judged.select(1, a).eq(v);
    } else {
      hold = hold & judged.eq(label - 1);
    }
  }
  return hold;
}

}  // namespace cdrl
