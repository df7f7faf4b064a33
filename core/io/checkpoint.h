// One checkpoint file = configuration + raw and EMA weights of both networks (+ optimiser state,
// step for resuming), in the safetensors layout (docs/checkpoint-format.md).
// This is the file alone; cdrl/model_checkpoint puts a Model and a Trainer into it and back.
#pragma once

#include "io/model_config.h"
#include "io/safetensors.h"
#include "io/train_options.h"

#include <optional>
#include <string>

namespace cdrl {

constexpr int kCheckpointVersion = 1;

struct Checkpoint {
  std::string path;
  ModelConfig config;
  int64_t step = 0;        // optimiser steps the weights have seen
  bool resumable = false;  // holds optimiser state and step
  std::optional<TrainOptions>
      training;  // the run's options; absent in files from before they were stored
  TensorFile file;
};

// Writes `checkpoint.file`'s tensors with the record's fields as metadata, atomically, to `path`.
void writeCheckpoint(const std::string& path, const Checkpoint& checkpoint);

// Reads and checks format, version and configuration; throws FormatError naming the problem.
Checkpoint readCheckpoint(const std::string& path);

// The error for a problem with the checkpoint at `path`: "checkpoint <path>: <what>".
FormatError checkpointError(const std::string& path, const std::string& what);

}  // namespace cdrl
