#include "checkpoint.h"

#include <set>

namespace cdrl {

namespace {

const char* const kFormat = "cdrl-checkpoint";

// The four networks' tensor-name prefixes and where they live in a Model.
std::vector<std::pair<std::string, torch::nn::Module*>> networkSlots(Model& model) {
  return {{"ebm/", model.ebm().get()},
          {"ebm_ema/", model.ebmEma().get()},
          {"initializer/", model.initializer().get()},
          {"initializer_ema/", model.initializerEma().get()}};
}

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

FormatError problem(const std::string& path, const std::string& what) {
  return FormatError("checkpoint " + path + ": " + what);
}

}  // namespace

void saveCheckpoint(const std::string& path, Model& model, const Trainer* trainer) {
  TensorFile file;
  file.metadata["format"] = kFormat;
  file.metadata["format_version"] = std::to_string(kCheckpointVersion);
  file.metadata["config"] = toJson(model.config()).dump();
  file.metadata["step"] = std::to_string(trainer ? trainer->stepsDone() : 0);
  file.metadata["resumable"] = trainer ? "true" : "false";
  for (auto& [prefix, net] : networkSlots(model))
    for (auto& [name, tensor] : namedState(*net))
      file.tensors[prefix + name] = tensor.detach().to(torch::kCPU).contiguous();
  if (trainer)
    for (auto& [name, tensor] : trainer->stateTensors()) file.tensors[name] = tensor;
  writeTensorFile(path, file);
}

Checkpoint readCheckpoint(const std::string& path) {
  Checkpoint c;
  c.path = path;
  c.file = readTensorFile(path);
  const auto& meta = c.file.metadata;
  auto field = [&](const char* key) {
    auto it = meta.find(key);
    if (it == meta.end())
      throw problem(path, std::string("not a CDRL checkpoint (no '") + key + "' entry)");
    return it->second;
  };
  if (field("format") != kFormat)
    throw problem(path, "not a CDRL checkpoint (format '" + field("format") + "')");
  if (field("format_version") != std::to_string(kCheckpointVersion))
    throw problem(path, "wrong version: format version " + field("format_version") +
                            ", this program reads version " + std::to_string(kCheckpointVersion));
  try {
    c.config = modelConfigFromJson(nlohmann::json::parse(field("config")));
    c.step = std::stoll(field("step"));
  } catch (const std::exception& e) {
    throw problem(path, std::string("bad configuration: ") + e.what());
  }
  c.resumable = field("resumable") == "true";
  return c;
}

std::unique_ptr<Model> loadModel(const Checkpoint& checkpoint, torch::Device device) {
  std::unique_ptr<Model> model;
  try {
    model = std::make_unique<Model>(checkpoint.config, device);
  } catch (const std::exception& e) {
    throw problem(checkpoint.path, std::string("cannot build its model: ") + e.what());
  }
  const auto& tensors = checkpoint.file.tensors;
  torch::NoGradGuard no_grad;
  for (auto& [prefix, net] : networkSlots(*model)) {
    for (auto& [name, target] : namedState(*net)) {
      auto it = tensors.find(prefix + name);
      if (it == tensors.end())
        throw problem(checkpoint.path, "mismatched: tensor '" + prefix + name + "' is missing");
      if (!it->second.sizes().equals(target.sizes()))
        throw problem(checkpoint.path, "mismatched: tensor '" + prefix + name + "' has shape " +
                                           shapeString(it->second.sizes()) +
                                           " but the model needs " + shapeString(target.sizes()));
      if (it->second.scalar_type() != target.scalar_type())
        throw problem(checkpoint.path,
                      "mismatched: tensor '" + prefix + name + "' has the wrong dtype");
      target.copy_(it->second);  // onto the model's device
    }
  }
  return model;
}

void restoreTrainer(const Checkpoint& checkpoint, Trainer& trainer) {
  if (!checkpoint.resumable)
    throw problem(checkpoint.path, "holds no training state, so it cannot be resumed");
  try {
    trainer.loadStateTensors(checkpoint.file.tensors);
  } catch (const std::exception& e) {
    throw problem(checkpoint.path, e.what());
  }
}

}  // namespace cdrl
