// A module's parameters and buffers as named tensors inside a tensor file, both ways; shared by
// the model checkpoint and the classifier file.
#pragma once

#include "io/safetensors.h"

#include <torch/torch.h>

#include <string>

namespace cdrl {

// Copies every parameter and buffer of `net` (detached, CPU, contiguous) to `file` as
// prefix + name.
void storeModuleState(TensorFile& file, const std::string& prefix, torch::nn::Module& net);

// Copies prefix + name from `file` into every parameter and buffer of `net` (onto its device).
// Throws std::runtime_error "mismatched: tensor '<name>' is missing / has shape [..] but the
// model needs [..] / has the wrong dtype".
void loadModuleState(torch::nn::Module& net, const TensorFile& file, const std::string& prefix);

// The value of a "__metadata__" entry; throws std::runtime_error "not a <kind> (no '<key>'
// entry)" when absent.
std::string metadataField(const TensorFile& file, const std::string& key, const std::string& kind);

}  // namespace cdrl
