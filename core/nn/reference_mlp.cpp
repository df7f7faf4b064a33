#include "nn/reference_mlp.h"

namespace cdrl {

namespace {
torch::Tensor lrelu(const torch::Tensor& x) { return activate(x, Activation::LeakyRelu); }
}  // namespace

ReferenceMlpEnergyBlockImpl::ReferenceMlpEnergyBlockImpl(int64_t in, int64_t out, int64_t emb_width,
                                                         bool spectral) {
  m_fc1 = register_module("fc1", SNLinear(in, out, true, spectral));
  m_fc2 = register_module("fc2", SNLinear(out, out, true, spectral));
  m_emb = register_module("emb", SNLinear(emb_width, out, true, spectral));
  m_gain = register_parameter("gain", torch::ones({1, out}));
  if (in != out) m_skip = register_module("skip", SNLinear(in, out, true, spectral));
}

torch::Tensor ReferenceMlpEnergyBlockImpl::forward(const torch::Tensor& x,
                                                   const torch::Tensor& emb_act) {
  auto h = m_fc1(lrelu(x)) + lrelu(m_emb(emb_act));
  h = m_fc2(lrelu(h)) * m_gain;
  return h + (m_skip ? m_skip(x) : x);
}

ReferenceMlpInitBlockImpl::ReferenceMlpInitBlockImpl(int64_t width, int64_t emb_width,
                                                     int64_t groups, double eps) {
  const auto norm = [&] {
    return torch::nn::GroupNorm(torch::nn::GroupNormOptions(groups, width).eps(eps));
  };
  m_norm1 = register_module("norm1", norm());
  m_fc1 = register_module("fc1", SNLinear(width, width, true, false));
  m_emb = register_module("emb", SNLinear(emb_width, 2 * width, true, false));
  m_norm2 = register_module("norm2", norm());
  m_fc2 = register_module("fc2", SNLinear(width, width, true, false));
  torch::NoGradGuard no_grad;
  m_fc2->weight.zero_();
}

torch::Tensor ReferenceMlpInitBlockImpl::forward(const torch::Tensor& x,
                                                 const torch::Tensor& emb_act) {
  auto h = m_fc1(torch::silu(m_norm1(x)));
  const auto scale_shift = m_emb(emb_act).chunk(2, 1);
  h = m_norm2(h) * (1 + scale_shift[0]) + scale_shift[1];
  return x + m_fc2(torch::silu(h));
}

ReferenceMlpEnergyImpl::ReferenceMlpEnergyImpl(const NetworkConfig& config, int64_t dim,
                                               int64_t num_classes) {
  const bool sn = config.spectral_norm;
  m_embedding = register_module(
      "embedding", ConditionEmbedding(config.embed_dim, num_classes, Activation::LeakyRelu, sn));
  m_in = register_module("in", SNLinear(dim, config.width, true, sn));
  int64_t width = config.width;
  for (size_t k = 0; k < config.multipliers.size(); ++k) {
    const int64_t out = config.width * config.multipliers[k];
    m_blocks.push_back(
        register_module("block" + std::to_string(k),
                        ReferenceMlpEnergyBlock(width, out, m_embedding->width(), sn)));
    width = out;
  }
  m_head =
      register_module("head", torch::nn::Linear(torch::nn::LinearOptions(width, 1).bias(false)));
}

torch::Tensor ReferenceMlpEnergyImpl::energy(const torch::Tensor& y, const torch::Tensor& emb) {
  const auto emb_act = lrelu(emb);
  auto h = m_in(y);
  for (auto& block : m_blocks) h = block(h, emb_act);
  return m_head(torch::relu(h)).sum(1);
}

ReferenceMlpInitializerImpl::ReferenceMlpInitializerImpl(const NetworkConfig& config, int64_t dim,
                                                         int64_t num_classes) {
  m_embedding = register_module(
      "embedding",
      ConditionEmbedding(config.embed_dim, num_classes, Activation::Silu, false, /*widen=*/1));
  m_in = register_module("in", SNLinear(dim, config.width, true, false));
  for (int64_t b = 0; b < config.blocks; ++b)
    m_blocks.push_back(register_module(
        "block" + std::to_string(b),
        ReferenceMlpInitBlock(config.width, m_embedding->width(), config.groups, config.norm_eps)));
  m_out = register_module(
      "out", torch::nn::Linear(torch::nn::LinearOptions(config.width, dim).bias(false)));
  torch::NoGradGuard no_grad;
  m_out->weight.zero_();  // g(x) = x at the start
}

torch::Tensor ReferenceMlpInitializerImpl::propose(const torch::Tensor& x,
                                                   const torch::Tensor& emb) {
  const auto emb_act = torch::silu(emb);
  auto h = m_in(x);
  for (auto& block : m_blocks) h = block(h, emb_act);
  return x + m_out(torch::silu(h));
}

}  // namespace cdrl
