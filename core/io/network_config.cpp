#include "io/network_config.h"

#include "runtime/limits.h"

#include <algorithm>
#include <stdexcept>

namespace cdrl {

void NetworkConfig::validate(const std::string& which) const {
  auto fail = [&](const std::string& what) { throw std::invalid_argument(which + ": " + what); };
  limits::checkRange(which + ": width", width, 1, limits::kMaxChannels);
  if (multipliers.empty()) fail("multipliers must not be empty");
  if (multipliers.size() > 16) fail("more than 16 multipliers");
  for (auto m : multipliers) {
    if (m < 1) fail("multipliers must be positive");
    limits::checkRange(which + ": width × multiplier", width * std::min<int64_t>(m, 1 << 20), 1,
                       limits::kMaxChannels);
  }
  limits::checkRange(which + ": blocks", blocks, 1, 64);
  limits::checkRange(which + ": embed_dim", embed_dim, 2, limits::kMaxChannels);
  limits::checkRange(which + ": groups", groups, 1, limits::kMaxChannels);
  if (dropout < 0 || dropout >= 1) fail("dropout must be in [0, 1)");
  if (embed_dim < 2 || embed_dim % 2) fail("embed_dim must be an even number ≥ 2");
  limits::checkRange(which + ": fourier_features", fourier_features, 0, limits::kMaxChannels);
  if (fourier_features > 0 && architecture != Architecture::Mlp)
    fail("Fourier features are for the MLP networks only");
  if (!(fourier_scale > 0 && fourier_scale < 1e6)) fail("fourier_scale must be in (0, 1e6)");
  if (architecture == Architecture::UNet || architecture == Architecture::ReferenceMlp) {
    for (auto m : multipliers)
      if ((width * m) % groups) fail("U-Net channel counts must be divisible by groups");
  }
}

std::string toString(Architecture architecture) {
  switch (architecture) {
    case Architecture::Mlp:
      return "mlp";
    case Architecture::ConvEbm:
      return "conv-ebm";
    case Architecture::UNet:
      return "unet";
    case Architecture::ReferenceMlp:
      return "reference-mlp";
  }
  return "mlp";
}

Architecture architectureFromString(const std::string& name) {
  if (name == "mlp") return Architecture::Mlp;
  if (name == "conv-ebm") return Architecture::ConvEbm;
  if (name == "unet") return Architecture::UNet;
  if (name == "reference-mlp") return Architecture::ReferenceMlp;
  throw std::runtime_error("unknown architecture '" + name + "'");
}

nlohmann::json toJson(const NetworkConfig& c) {
  return {{"architecture", toString(c.architecture)},
          {"width", c.width},
          {"multipliers", c.multipliers},
          {"blocks", c.blocks},
          {"attention_resolutions", c.attention_resolutions},
          {"dropout", c.dropout},
          {"groups", c.groups},
          {"embed_dim", c.embed_dim},
          {"spectral_norm", c.spectral_norm},
          {"norm_eps", c.norm_eps},
          {"fourier_features", c.fourier_features},
          {"fourier_scale", c.fourier_scale},
          {"fourier_normalised", c.fourier_normalised}};
}

NetworkConfig networkConfigFromJson(const nlohmann::json& j) {
  NetworkConfig c;
  try {
    c.architecture = architectureFromString(j.at("architecture").get<std::string>());
    c.width = j.at("width").get<int64_t>();
    c.multipliers = j.at("multipliers").get<std::vector<int64_t>>();
    c.blocks = j.at("blocks").get<int64_t>();
    c.attention_resolutions = j.at("attention_resolutions").get<std::vector<int64_t>>();
    c.dropout = j.at("dropout").get<double>();
    c.groups = j.at("groups").get<int64_t>();
    c.embed_dim = j.at("embed_dim").get<int64_t>();
    c.spectral_norm = j.at("spectral_norm").get<bool>();
    // Absent in files written before they existed.
    c.norm_eps = j.value("norm_eps", 1e-5);
    c.fourier_features = j.value("fourier_features", int64_t{0});
    c.fourier_scale = j.value("fourier_scale", 1.0);
    c.fourier_normalised = j.value("fourier_normalised", false);
  } catch (const nlohmann::json::exception& e) {
    throw std::runtime_error(std::string("network configuration: ") + e.what());
  }
  return c;
}

}  // namespace cdrl
