// The authors' published PyTorch checkpoints (OFFICIAL.md: CIFAR-10 unconditional, ImageNet 32×32
// class-conditional, and files their scripts write) as this project's checkpoints: `module.`
// stripped, names mapped onto ConvEnergy / UNetInitializer, every size inferred from tensor
// shapes, torch-ema shadows zipped onto the parameter names, the raw file's spectral-norm u, v
// kept. The label shift needs no mapping: both use one-hot index 0 = ∅, class k = k + 1.
#pragma once

#include "io/checkpoint.h"

#include <atomic>
#include <functional>
#include <stdexcept>
#include <string>

namespace cdrl {

struct ImportOptions {
  bool raw = false;  // EMA networks get the raw weights instead of the EMA shadows
  // ImageNet's imagenet_class_index.json ({"0": ["n01440764", "tench"], …}); empty: the file of
  // that name beside the checkpoint, if there is one; else classes are shown by number.
  std::string class_names_file;
  std::function<void(double)> progress;       // fraction of the weights read, 0 … 1
  const std::atomic<bool>* cancel = nullptr;  // checked between tensors
};

class ImportCancelled : public std::runtime_error {
 public:
  ImportCancelled() : std::runtime_error("import cancelled") {}
};

// Live networks get the raw weights, EMA networks the shadows (or raw with `raw`). Metadata
// records the source file's name and SHA-256 ("cdrl.source", "cdrl.source_sha256") and which
// weights the EMA networks hold ("cdrl.import_weights"). Throws FormatError with one line naming
// the file and the problem (refused global, missing key, shape mismatch, wrong shadow count).
Checkpoint importOfficial(const std::string& path, const ImportOptions& options = {});

// Where a conversion of `source` goes by default: Cifar_10_best.pth.tar →
// Cifar_10_best.safetensors, beside it.
std::string convertedCheckpointPath(const std::string& source);

// Any checkpoint this project opens: a torch.save archive is imported in memory, anything else
// is read as this project's safetensors checkpoint.
Checkpoint openCheckpoint(const std::string& path, const ImportOptions& options = {});

}  // namespace cdrl
