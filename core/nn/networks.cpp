#include "nn/networks.h"

#include "nn/conv_ebm.h"
#include "nn/mlp_nets.h"
#include "nn/reference_mlp.h"
#include "nn/unet.h"

#include <stdexcept>

namespace cdrl {

torch::Tensor repeatBatch(const torch::Tensor& x, int64_t n) {
  if (n == 1) return x;
  std::vector<int64_t> reps(x.dim(), 1);
  reps[0] = n;
  return x.repeat(reps);
}

namespace {

void requireImageShape(const std::vector<int64_t>& shape, const NetworkConfig& config,
                       const std::string& which) {
  if (shape.size() != 3) throw std::invalid_argument(which + ": needs image data [C, H, W]");
  const int64_t factor = int64_t{1} << (config.multipliers.size() - 1);
  if (shape[1] % factor || shape[2] % factor)
    throw std::invalid_argument(
        which + ": image size " + std::to_string(shape[1]) +
        " is not divisible by 2^(resolutions - 1) = " + std::to_string(factor));
}

void requirePointShape(const std::vector<int64_t>& shape, const std::string& which) {
  if (shape.size() != 1) throw std::invalid_argument(which + ": the MLP needs point data [D]");
}

}  // namespace

EnergyNet makeEnergyNet(const NetworkConfig& config, const std::vector<int64_t>& data_shape,
                        int64_t num_classes) {
  config.validate("ebm");
  switch (config.architecture) {
    case Architecture::Mlp:
      requirePointShape(data_shape, "ebm");
      return std::make_shared<MlpEnergyImpl>(config, data_shape[0], num_classes);
    case Architecture::ConvEbm:
      requireImageShape(data_shape, config, "ebm");
      return std::make_shared<ConvEnergyImpl>(config, data_shape[0], num_classes);
    case Architecture::ReferenceMlp:
      requirePointShape(data_shape, "ebm");
      return std::make_shared<ReferenceMlpEnergyImpl>(config, data_shape[0], num_classes);
    case Architecture::UNet:
      break;
  }
  throw std::invalid_argument("ebm: architecture " + toString(config.architecture) +
                              " is not an energy network");
}

InitializerNet makeInitializerNet(const NetworkConfig& config,
                                  const std::vector<int64_t>& data_shape, int64_t num_classes) {
  config.validate("initializer");
  switch (config.architecture) {
    case Architecture::Mlp:
      requirePointShape(data_shape, "initializer");
      return std::make_shared<MlpInitializerImpl>(config, data_shape[0], num_classes);
    case Architecture::UNet:
      requireImageShape(data_shape, config, "initializer");
      return std::make_shared<UNetInitializerImpl>(config, data_shape, num_classes);
    case Architecture::ReferenceMlp:
      requirePointShape(data_shape, "initializer");
      return std::make_shared<ReferenceMlpInitializerImpl>(config, data_shape[0], num_classes);
    case Architecture::ConvEbm:
      break;
  }
  throw std::invalid_argument("initializer: architecture " + toString(config.architecture) +
                              " is not an initializer network");
}

void copyState(torch::nn::Module& to, const torch::nn::Module& from) {
  torch::NoGradGuard no_grad;
  const auto source_params = from.named_parameters();
  for (auto& item : to.named_parameters()) item.value().copy_(source_params[item.key()]);
  const auto source_buffers = from.named_buffers();
  for (auto& item : to.named_buffers()) item.value().copy_(source_buffers[item.key()]);
}

}  // namespace cdrl
