// Shape of one network (EBM or initializer): widths are configuration, not code (ALGORITHM.md §3).
#pragma once

#include <nlohmann/json.hpp>

#include <cstdint>
#include <string>
#include <vector>

namespace cdrl {

enum class Architecture {
  Mlp,      // residual MLP over points (2-D toy data)
  ConvEbm,  // the reference EBM: residual conv blocks, average pooling, energy head
  UNet,     // the reference initializer: DDPM-style U-Net
  // The authors' 2-D toy networks (their toy_example.py; docs/import.md): Linear residual blocks
  // with gains for the EBM, GroupNorm scale-and-shift blocks for the initializer.
  ReferenceMlp,
};

struct NetworkConfig {
  Architecture architecture = Architecture::Mlp;
  int64_t width = 64;                          // hidden width / base channel count
  std::vector<int64_t> multipliers = {1};      // width multiplier per resolution (or per MLP stage)
  int64_t blocks = 1;                          // residual blocks per resolution / stage
  std::vector<int64_t> attention_resolutions;  // U-Net: resolutions (pixels) with self-attention
  double dropout = 0.0;                        // U-Net residual-block dropout
  int64_t groups = 32;                         // U-Net GroupNorm groups
  int64_t embed_dim = 64;      // sinusoid size h·2; embedding width is 4·embed_dim
  bool spectral_norm = false;  // spectral normalisation on conv/linear layers
  double norm_eps = 1e-5;      // U-Net GroupNorm ε (the authors' U-Net: 1e-6, OFFICIAL.md §5)
  // MLP only: the input x enters as [x, sin 2πxB, cos 2πxB] with B a fixed Gaussian matrix of
  // this many columns (0: x alone). Thin 2-D structures need more frequency than an MLP of x
  // learns in a CPU budget (docs/models.md, "The toy2d study").
  int64_t fourier_features = 0;
  double fourier_scale = 1.0;  // standard deviation of B's entries: frequencies, cycles per unit
  // sin and cos divided by √M (M = fourier_features), so the map stretches distances by about 2πS
  // whatever M: the raw map's 2πS√M let the EBM's level-1 chains run away (docs/models.md).
  // Files written before work session 15 used the raw map and read as false.
  bool fourier_normalised = true;

  void validate(const std::string& which) const;
};

std::string toString(Architecture architecture);
Architecture architectureFromString(const std::string& name);

nlohmann::json toJson(const NetworkConfig& config);
// Throws std::runtime_error naming the missing or bad field.
NetworkConfig networkConfigFromJson(const nlohmann::json& json);

}  // namespace cdrl
