#include "nn/mlp_nets.h"

#include <cmath>

namespace cdrl {

MlpBlockImpl::MlpBlockImpl(int64_t in, int64_t out, int64_t emb_width, Activation act,
                           bool spectral)
    : m_act(act) {
  m_fc1 = register_module("fc1", SNLinear(in, out, true, spectral));
  m_fc2 = register_module("fc2", SNLinear(out, out, true, spectral));
  m_emb = register_module("emb", SNLinear(emb_width, out, true, spectral));
  if (in != out) m_skip = register_module("skip", SNLinear(in, out, true, spectral));
}

torch::Tensor MlpBlockImpl::forward(const torch::Tensor& x, const torch::Tensor& emb) {
  auto h = m_fc1(activate(x, m_act)) + m_emb(activate(emb, m_act));
  h = m_fc2(activate(h, m_act));
  return (m_skip ? m_skip(x) : x) + h;
}

MlpTrunkImpl::MlpTrunkImpl(const NetworkConfig& config, int64_t in, int64_t emb_width,
                           Activation act) {
  const bool sn = config.spectral_norm;
  int64_t width = config.width * config.multipliers.front();
  if (config.fourier_features > 0) {
    m_fourier = register_buffer("fourier",
                                torch::randn({in, config.fourier_features}) * config.fourier_scale);
    if (config.fourier_normalised)
      m_fourierGain = 1.0 / std::sqrt(static_cast<double>(config.fourier_features));
  }
  const int64_t features = in + 2 * config.fourier_features;
  m_in = register_module("in", SNLinear(features, width, true, sn));
  for (size_t stage = 0; stage < config.multipliers.size(); ++stage) {
    const int64_t out = config.width * config.multipliers[stage];
    for (int64_t b = 0; b < config.blocks; ++b) {
      const auto name = "block" + std::to_string(stage) + "_" + std::to_string(b);
      m_blocks.push_back(register_module(name, MlpBlock(width, out, emb_width, act, sn)));
      width = out;
    }
  }
  m_outWidth = width;
}

torch::Tensor MlpTrunkImpl::features(const torch::Tensor& x) const {
  if (!m_fourier.defined()) return x;
  const auto phase = 2 * M_PI * x.matmul(m_fourier);
  return torch::cat({x, m_fourierGain * torch::sin(phase), m_fourierGain * torch::cos(phase)}, 1);
}

torch::Tensor MlpTrunkImpl::forward(const torch::Tensor& x, const torch::Tensor& emb) {
  auto h = m_in(features(x));
  for (auto& block : m_blocks) h = block(h, emb);
  return h;
}

MlpEnergyImpl::MlpEnergyImpl(const NetworkConfig& config, int64_t dim, int64_t num_classes) {
  m_embedding =
      register_module("embedding", ConditionEmbedding(config.embed_dim, num_classes,
                                                      Activation::LeakyRelu, config.spectral_norm));
  const int64_t emb_width = 4 * config.embed_dim;
  m_trunk = register_module("trunk", MlpTrunk(config, dim, emb_width, Activation::LeakyRelu));
  // §3 head: no spectral norm, no bias.
  m_head = register_module(
      "head",
      torch::nn::Linear(torch::nn::LinearOptions(emb_width, m_trunk->outWidth()).bias(false)));
}

torch::Tensor MlpEnergyImpl::energy(const torch::Tensor& y, const torch::Tensor& emb) {
  const auto h = torch::relu(m_trunk(y, emb));
  return (h * m_head(activate(emb, Activation::LeakyRelu))).sum(1);
}

MlpInitializerImpl::MlpInitializerImpl(const NetworkConfig& config, int64_t dim,
                                       int64_t num_classes) {
  m_embedding = register_module(
      "embedding", ConditionEmbedding(config.embed_dim, num_classes, Activation::Silu, false));
  m_trunk = register_module("trunk", MlpTrunk(config, dim, 4 * config.embed_dim, Activation::Silu));
  m_out = register_module("out", torch::nn::Linear(m_trunk->outWidth(), dim));
  torch::NoGradGuard no_grad;
  m_out->weight.zero_();  // §3: proposal starts as the noisy input itself
  m_out->bias.zero_();
}

torch::Tensor MlpInitializerImpl::propose(const torch::Tensor& x, const torch::Tensor& emb) {
  return x + m_out(torch::silu(m_trunk(x, emb)));
}

}  // namespace cdrl
