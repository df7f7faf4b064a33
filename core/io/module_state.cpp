#include "io/module_state.h"

#include <stdexcept>
#include <utility>
#include <vector>

namespace cdrl {

namespace {

std::vector<std::pair<std::string, torch::Tensor>> namedState(torch::nn::Module& net) {
  std::vector<std::pair<std::string, torch::Tensor>> out;
  for (auto& item : net.named_parameters()) out.emplace_back(item.key(), item.value());
  for (auto& item : net.named_buffers()) out.emplace_back(item.key(), item.value());
  return out;
}

std::string shapeString(at::IntArrayRef sizes) {
  std::string s = "[";
  for (size_t k = 0; k < sizes.size(); ++k) s += (k ? "," : "") + std::to_string(sizes[k]);
  return s + "]";
}

}  // namespace

void storeModuleState(TensorFile& file, const std::string& prefix, torch::nn::Module& net) {
  for (auto& [name, tensor] : namedState(net))
    file.tensors[prefix + name] = tensor.detach().to(torch::kCPU).contiguous();
}

void loadModuleState(torch::nn::Module& net, const TensorFile& file, const std::string& prefix) {
  torch::NoGradGuard no_grad;
  for (auto& [name, target] : namedState(net)) {
    const std::string key = prefix + name;
    auto it = file.tensors.find(key);
    if (it == file.tensors.end())
      throw std::runtime_error("mismatched: tensor '" + key + "' is missing");
    if (!it->second.sizes().equals(target.sizes()))
      throw std::runtime_error("mismatched: tensor '" + key + "' has shape " +
                               shapeString(it->second.sizes()) + " but the model needs " +
                               shapeString(target.sizes()));
    if (it->second.scalar_type() != target.scalar_type())
      throw std::runtime_error("mismatched: tensor '" + key + "' has the wrong dtype");
    target.copy_(it->second);
  }
}

std::string metadataField(const TensorFile& file, const std::string& key, const std::string& kind) {
  auto it = file.metadata.find(key);
  if (it == file.metadata.end())
    throw std::runtime_error("not a " + kind + " (no '" + key + "' entry)");
  return it->second;
}

}  // namespace cdrl
