#include "nn/conv_ebm.h"

#include "nn/pooling.h"

namespace cdrl {

namespace {
torch::Tensor lrelu(const torch::Tensor& x) { return activate(x, Activation::LeakyRelu); }
}  // namespace

EbmBlockImpl::EbmBlockImpl(int64_t in, int64_t out, int64_t emb_width, bool spectral) {
  m_conv1 = register_module("conv1", SNConv2d(in, out, 3, true, spectral));
  m_conv2 = register_module("conv2", SNConv2d(out, out, 3, true, spectral));
  m_emb = register_module("emb", SNLinear(emb_width, out, true, spectral));
  m_gain = register_parameter("gain", torch::ones({1, out, 1, 1}));
  if (in != out) m_skip = register_module("skip", SNConv2d(in, out, 3, true, spectral));
}

torch::Tensor EbmBlockImpl::forward(const torch::Tensor& x, const torch::Tensor& emb_act) {
  return conditioned(x, unconditioned(x), emb_act);
}

torch::Tensor EbmBlockImpl::unconditioned(const torch::Tensor& x) { return m_conv1(lrelu(x)); }

torch::Tensor EbmBlockImpl::conditioned(const torch::Tensor& x, const torch::Tensor& u,
                                        const torch::Tensor& emb_act) {
  auto h = u + lrelu(m_emb(emb_act)).unsqueeze(-1).unsqueeze(-1);  // §3: per-channel level shift
  h = m_conv2(lrelu(h)) * m_gain;
  return h + (m_skip ? m_skip(x) : x);
}

ConvEnergyImpl::ConvEnergyImpl(const NetworkConfig& config, int64_t channels, int64_t num_classes) {
  const bool sn = config.spectral_norm;
  m_embedding = register_module(
      "embedding", ConditionEmbedding(config.embed_dim, num_classes, Activation::LeakyRelu, sn));
  const int64_t emb_width = 4 * config.embed_dim;
  int64_t width = config.width;
  m_in = register_module("in", SNConv2d(channels, width, 3, true, sn));
  const size_t levels = config.multipliers.size();
  for (size_t level = 0; level < levels; ++level) {
    const int64_t out = config.width * config.multipliers[level];
    for (int64_t b = 0; b < config.blocks; ++b) {
      const auto name = "block" + std::to_string(level) + "_" + std::to_string(b);
      m_blocks.push_back(register_module(name, EbmBlock(width, out, emb_width, sn)));
      m_poolAfter.push_back(b + 1 == config.blocks && level + 1 < levels);
      width = out;
    }
  }
  m_head = register_module(
      "head", torch::nn::Linear(torch::nn::LinearOptions(emb_width, width).bias(false)));
}

torch::Tensor ConvEnergyImpl::energy(const torch::Tensor& y, const torch::Tensor& emb) {
  return energyStacked(y, emb, 1);
}

std::vector<torch::Tensor> ConvEnergyImpl::prefix(const torch::Tensor& y) {
  auto x = m_in(y);
  auto u = m_blocks[0]->unconditioned(x);
  return {x, u};
}

torch::Tensor ConvEnergyImpl::energyFromPrefix(const std::vector<torch::Tensor>& prefix_out,
                                               const torch::Tensor& emb, int64_t n) {
  const auto emb_act = lrelu(emb);
  auto h = m_blocks[0]->conditioned(repeatBatch(prefix_out[0], n), repeatBatch(prefix_out[1], n),
                                    emb_act);
  for (size_t b = 0; b < m_blocks.size(); ++b) {
    if (b > 0) h = m_blocks[b](h, emb_act);
    if (m_poolAfter[b]) h = meanPool2x(h);
  }
  // §3 head: ReLU, sum over space, dot product with Linear(act(emb)).
  const auto pooled = torch::relu(h).sum({2, 3});
  return (pooled * m_head(emb_act)).sum(1);
}

}  // namespace cdrl
