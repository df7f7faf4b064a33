#include "cdrl/model_checkpoint.h"

#include "io/module_state.h"

namespace cdrl {

namespace {

// The four networks' tensor-name prefixes and where they live in a Model.
std::vector<std::pair<std::string, torch::nn::Module*>> networkSlots(Model& model) {
  return {{"ebm/", model.ebm().get()},
          {"ebm_ema/", model.ebmEma().get()},
          {"initializer/", model.initializer().get()},
          {"initializer_ema/", model.initializerEma().get()}};
}

}  // namespace

void saveCheckpoint(const std::string& path, Model& model, const Trainer* trainer,
                    const std::map<std::string, std::string>& metadata) {
  Checkpoint checkpoint;
  checkpoint.file.metadata = metadata;
  checkpoint.config = model.config();
  checkpoint.step = trainer ? trainer->stepsDone() : 0;
  checkpoint.resumable = trainer != nullptr;
  if (trainer) checkpoint.training = trainer->options();
  for (auto& [prefix, net] : networkSlots(model)) storeModuleState(checkpoint.file, prefix, *net);
  if (trainer)
    for (auto& [name, tensor] : trainer->stateTensors()) checkpoint.file.tensors[name] = tensor;
  writeCheckpoint(path, checkpoint);
}

std::unique_ptr<Model> loadModel(const Checkpoint& checkpoint, torch::Device device) {
  std::unique_ptr<Model> model;
  try {
    model = std::make_unique<Model>(checkpoint.config, device);
  } catch (const std::exception& e) {
    throw checkpointError(checkpoint.path, std::string("cannot build its model: ") + e.what());
  }
  for (auto& [prefix, net] : networkSlots(*model)) {
    try {
      loadModuleState(*net, checkpoint.file, prefix);
    } catch (const std::runtime_error& e) {
      throw checkpointError(checkpoint.path, e.what());
    }
  }
  return model;
}

void restoreTrainer(const Checkpoint& checkpoint, Trainer& trainer) {
  if (!checkpoint.resumable)
    throw checkpointError(checkpoint.path, "holds no training state, so it cannot be resumed");
  try {
    trainer.loadStateTensors(checkpoint.file.tensors);
  } catch (const std::exception& e) {
    throw checkpointError(checkpoint.path, e.what());
  }
}

}  // namespace cdrl
