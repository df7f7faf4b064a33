// Names of a conditional model's concepts (ALGORITHM.md §7): class names, or "attribute=value"
// for attribute models, mapped to condition labels 1..C (0 is ∅).
#pragma once

#include "cdrl/guidance.h"
#include "io/model_config.h"

#include <string>
#include <vector>

namespace cdrl {

// The label of the concept called `name` among a model's concept names (ModelConfig::class_names;
// none: an unconditional model); throws std::invalid_argument listing the known names.
int64_t conceptLabel(const std::vector<std::string>& names, const std::string& name);
int64_t conceptLabel(const ModelConfig& config, const std::string& name);

// "NAME[:WEIGHT]" → {conceptLabel(NAME), WEIGHT (default 1)}; throws std::invalid_argument.
ConditionTerm parseConceptTerm(const std::vector<std::string>& names, const std::string& spec);
ConditionTerm parseConceptTerm(const ModelConfig& config, const std::string& spec);

// Attribute models name concept 1 + 2a + v "attribute_a=v" (dataset.h): whether `config` is one,
// and the (a, v) of a label.
bool isAttributeModel(const ModelConfig& config);
struct AttributeValue {
  int64_t attribute = 0;
  int64_t value = 0;
};
AttributeValue attributeOfConcept(int64_t label);

// The attribute names of an attribute model ("circle" from "circle=0", …), in order.
std::vector<std::string> attributeNames(const ModelConfig& config);

// Whether each sample carries every concept in `labels`. `judged` is a class index [N] for class
// models (concept c ⇔ class c − 1) or 0/1 attributes [N, A] for attribute models. Bool [N].
torch::Tensor conceptsHold(const ModelConfig& config, const torch::Tensor& judged,
                           const std::vector<int64_t>& labels);

}  // namespace cdrl
