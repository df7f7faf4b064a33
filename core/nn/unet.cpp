#include "nn/unet.h"

#include "nn/pooling.h"

#include <algorithm>
#include <cmath>

namespace cdrl {

namespace {

// Plain (not spectrally normalised) layers; SNConv2d with spectral off also counts FLOPs.
SNConv2d conv(int64_t in, int64_t out, int64_t kernel) {
  return SNConv2d(in, out, kernel, /*with_bias=*/true, /*spectral=*/false);
}

void zeroInit(SNConv2d& layer) {
  torch::NoGradGuard no_grad;
  layer->weight.zero_();
  layer->bias.zero_();
}

torch::Tensor resample(const torch::Tensor& x, Resample how) {
  namespace F = torch::nn::functional;
  switch (how) {
    case Resample::Down:
      return meanPool2x(x);
    case Resample::Up:
      return F::interpolate(x, F::InterpolateFuncOptions()
                                   .scale_factor(std::vector<double>{2.0, 2.0})
                                   .mode(torch::kNearest));
    case Resample::None:
      break;
  }
  return x;
}

}  // namespace

torch::nn::GroupNorm GroupNormSpec::make(int64_t channels) const {
  return torch::nn::GroupNorm(torch::nn::GroupNormOptions(groups, channels).eps(eps));
}

UNetBlockImpl::UNetBlockImpl(int64_t in, int64_t out, int64_t emb_width, const GroupNormSpec& norm,
                             double dropout, Resample resample)
    : m_resample(resample), m_dropout(dropout) {
  m_norm1 = register_module("norm1", norm.make(in));
  m_conv1 = register_module("conv1", conv(in, out, 3));
  m_emb = register_module("emb", SNLinear(emb_width, 2 * out, true, false));
  m_norm2 = register_module("norm2", norm.make(out));
  m_conv2 = register_module("conv2", conv(out, out, 3));
  zeroInit(m_conv2);
  if (in != out) m_skip = register_module("skip", conv(in, out, 1));
}

torch::Tensor UNetBlockImpl::forward(const torch::Tensor& x, const torch::Tensor& emb_act) {
  auto h = torch::silu(m_norm1(x));
  h = m_conv1(resample(h, m_resample));
  const auto x_skip = resample(x, m_resample);
  // Scale-and-shift conditioning: GN(h)·(1 + scale) + shift.
  const auto scale_shift = m_emb(emb_act).unsqueeze(-1).unsqueeze(-1).chunk(2, 1);
  h = m_norm2(h) * (1 + scale_shift[0]) + scale_shift[1];
  h = torch::dropout(torch::silu(h), m_dropout, is_training());
  h = m_conv2(h);
  return (m_skip ? m_skip(x_skip) : x_skip) + h;
}

AttentionImpl::AttentionImpl(int64_t channels, const GroupNormSpec& norm) {
  m_norm = register_module("norm", norm.make(channels));
  m_qkv = register_module("qkv", conv(channels, 3 * channels, 1));
  m_proj = register_module("proj", conv(channels, channels, 1));
  zeroInit(m_proj);
}

torch::Tensor AttentionImpl::forward(const torch::Tensor& x) {
  const auto b = x.size(0), c = x.size(1), h = x.size(2), w = x.size(3);
  const auto qkv = m_qkv(m_norm(x)).reshape({b, 3, c, h * w}).unbind(1);
  // softmax(qᵀk/√c), the scale applied to q: c·hw values to scale instead of (hw)².
  const auto q = qkv[0] * (1.0 / std::sqrt(double(c)));
  const auto weights = torch::softmax(torch::bmm(q.transpose(1, 2), qkv[1]), -1);
  const auto out = torch::bmm(qkv[2], weights.transpose(1, 2)).reshape({b, c, h, w});
  return x + m_proj(out);
}

void UNetInitializerImpl::addStage(std::vector<Stage>& path, const std::string& name,
                                   UNetBlock block, bool attend, int64_t channels,
                                   const GroupNormSpec& norm) {
  Stage stage;
  stage.block = register_module(name, block);
  if (attend) stage.attention = register_module(name + "_attn", Attention(channels, norm));
  path.push_back(stage);
}

UNetInitializerImpl::UNetInitializerImpl(const NetworkConfig& config,
                                         const std::vector<int64_t>& data_shape,
                                         int64_t num_classes) {
  m_embedding = register_module(
      "embedding", ConditionEmbedding(config.embed_dim, num_classes, Activation::Silu, false));
  const int64_t emb_width = 4 * config.embed_dim;
  const GroupNormSpec norm{config.groups, config.norm_eps};
  const double dropout = config.dropout;
  const int64_t channels = data_shape[0];
  int64_t resolution = data_shape[1];
  auto attends = [&](int64_t res) {
    const auto& a = config.attention_resolutions;
    return std::find(a.begin(), a.end(), res) != a.end();
  };

  m_in = register_module("in", conv(channels, config.width, 3));
  std::vector<int64_t> skip_channels = {config.width};
  int64_t width = config.width;
  const size_t levels = config.multipliers.size();
  for (size_t level = 0; level < levels; ++level) {
    const int64_t out = config.width * config.multipliers[level];
    for (int64_t b = 0; b < config.blocks; ++b) {
      addStage(m_down, "down" + std::to_string(level) + "_" + std::to_string(b),
               UNetBlock(width, out, emb_width, norm, dropout, Resample::None), attends(resolution),
               out, norm);
      m_down.back().skip_out = true;
      skip_channels.push_back(out);
      width = out;
    }
    if (level + 1 < levels) {
      addStage(m_down, "down" + std::to_string(level) + "_resample",
               UNetBlock(width, width, emb_width, norm, dropout, Resample::Down), false, width,
               norm);
      m_down.back().skip_out = true;
      skip_channels.push_back(width);
      resolution /= 2;
    }
  }
  addStage(m_mid, "mid0", UNetBlock(width, width, emb_width, norm, dropout, Resample::None), true,
           width, norm);
  addStage(m_mid, "mid1", UNetBlock(width, width, emb_width, norm, dropout, Resample::None), false,
           width, norm);
  for (size_t level = levels; level-- > 0;) {
    const int64_t out = config.width * config.multipliers[level];
    for (int64_t b = 0; b <= config.blocks; ++b) {
      const int64_t in = width + skip_channels.back();
      skip_channels.pop_back();
      addStage(m_up, "up" + std::to_string(level) + "_" + std::to_string(b),
               UNetBlock(in, out, emb_width, norm, dropout, Resample::None), attends(resolution),
               out, norm);
      m_up.back().skip_in = true;
      width = out;
    }
    if (level > 0) {
      addStage(m_up, "up" + std::to_string(level) + "_resample",
               UNetBlock(width, width, emb_width, norm, dropout, Resample::Up), false, width, norm);
      resolution *= 2;
    }
  }
  m_outNorm = register_module("out_norm", norm.make(width));
  m_out = register_module("out", conv(width, channels, 3));
  zeroInit(m_out);  // §3: g(x) = x at the start
}

torch::Tensor UNetInitializerImpl::runStage(Stage& stage, torch::Tensor h,
                                            const torch::Tensor& emb_act) {
  h = stage.block(h, emb_act);
  return stage.attention ? stage.attention(h) : h;
}

torch::Tensor UNetInitializerImpl::propose(const torch::Tensor& x, const torch::Tensor& emb) {
  const auto emb_act = torch::silu(emb);
  std::vector<torch::Tensor> skips;
  auto h = m_in(x);
  skips.push_back(h);
  for (auto& stage : m_down) {
    h = runStage(stage, h, emb_act);
    if (stage.skip_out) skips.push_back(h);
  }
  for (auto& stage : m_mid) h = runStage(stage, h, emb_act);
  for (auto& stage : m_up) {
    if (stage.skip_in) {
      h = torch::cat({h, skips.back()}, 1);
      skips.pop_back();
    }
    h = runStage(stage, h, emb_act);
  }
  return x + m_out(torch::silu(m_outNorm(h)));
}

}  // namespace cdrl
