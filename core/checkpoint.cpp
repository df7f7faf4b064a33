#include "checkpoint.h"

#include "module_state.h"

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
  if (trainer) file.metadata["training"] = toJson(trainer->options()).dump();
  for (auto& [prefix, net] : networkSlots(model)) storeModuleState(file, prefix, *net);
  if (trainer)
    for (auto& [name, tensor] : trainer->stateTensors()) file.tensors[name] = tensor;
  writeTensorFile(path, file);
}

Checkpoint readCheckpoint(const std::string& path) {
  Checkpoint c;
  c.path = path;
  c.file = readTensorFile(path);
  auto field = [&](const char* key) {
    try {
      return metadataField(c.file, key, "CDRL checkpoint");
    } catch (const std::runtime_error& e) {
      throw problem(path, e.what());
    }
  };
  if (field("format") != kFormat)
    throw problem(path, "not a CDRL checkpoint (format '" + field("format") + "')");
  if (field("format_version") != std::to_string(kCheckpointVersion))
    throw problem(path, "wrong version: format version " + field("format_version") +
                            ", this program reads version " + std::to_string(kCheckpointVersion));
  try {
    c.config = modelConfigFromJson(nlohmann::json::parse(field("config")));
    c.step = std::stoll(field("step"));
    if (c.file.metadata.count("training"))
      c.training = trainOptionsFromJson(nlohmann::json::parse(c.file.metadata.at("training")), {});
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
  for (auto& [prefix, net] : networkSlots(*model)) {
    try {
      loadModuleState(*net, checkpoint.file, prefix);
    } catch (const std::runtime_error& e) {
      throw problem(checkpoint.path, e.what());
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
