// A Model (and a Trainer's resumable state) into a checkpoint file and back.
#pragma once

#include "cdrl/model.h"
#include "cdrl/trainer.h"
#include "io/checkpoint.h"

#include <map>
#include <memory>
#include <string>

namespace cdrl {

// Writes atomically. With a trainer, also its state for `--resume`; `metadata` entries (e.g. an
// import's source) are kept beside the checkpoint's own.
void saveCheckpoint(const std::string& path, Model& model, const Trainer* trainer = nullptr,
                    const std::map<std::string, std::string>& metadata = {});

// A model with the checkpoint's weights; throws FormatError on a missing or mismatched tensor.
std::unique_ptr<Model> loadModel(const Checkpoint& checkpoint, torch::Device device);

// Puts the optimiser moments, step and generator states back; throws FormatError if absent.
void restoreTrainer(const Checkpoint& checkpoint, Trainer& trainer);

}  // namespace cdrl
