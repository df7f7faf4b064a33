// One checkpoint file = configuration + raw and EMA weights of both networks (+ optimiser state,
// step and generator states for resuming), in the safetensors layout (docs/checkpoint-format.md).
#pragma once

#include "model.h"
#include "safetensors.h"
#include "trainer.h"

#include <memory>
#include <optional>
#include <string>

namespace cdrl {

constexpr int kCheckpointVersion = 1;

struct Checkpoint {
  std::string path;
  ModelConfig config;
  int64_t step = 0;        // optimiser steps the weights have seen
  bool resumable = false;  // holds optimiser and generator state
  std::optional<TrainOptions>
      training;  // the run's options; absent in files from before they were stored
  TensorFile file;
};

// Writes atomically. With a trainer, also its state for `--resume`.
void saveCheckpoint(const std::string& path, Model& model, const Trainer* trainer = nullptr);

// Reads and checks format, version and configuration; throws FormatError naming the problem.
Checkpoint readCheckpoint(const std::string& path);

// A model with the checkpoint's weights; throws FormatError on a missing or mismatched tensor.
std::unique_ptr<Model> loadModel(const Checkpoint& checkpoint, torch::Device device);

// Puts the optimiser moments, step and generator states back; throws FormatError if absent.
void restoreTrainer(const Checkpoint& checkpoint, Trainer& trainer);

}  // namespace cdrl
