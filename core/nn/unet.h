// The reference initializer of ALGORITHM.md §3: a DDPM-style U-Net with GroupNorm + SiLU,
// scale-and-shift level conditioning, self-attention at chosen resolutions and resampling inside
// residual blocks; the last conv is zero-initialised so g(x) = x at the start.
#pragma once

#include "nn/networks.h"

namespace cdrl {

enum class Resample { None, Down, Up };

// The U-Net's GroupNorm: group count and ε (NetworkConfig::groups, norm_eps).
struct GroupNormSpec {
  int64_t groups = 32;
  double eps = 1e-5;
  torch::nn::GroupNorm make(int64_t channels) const;
};

class UNetBlockImpl : public torch::nn::Module {
 public:
  UNetBlockImpl(int64_t in, int64_t out, int64_t emb_width, const GroupNormSpec& norm,
                double dropout, Resample resample);
  torch::Tensor forward(const torch::Tensor& x, const torch::Tensor& emb_act);

 private:
  Resample m_resample;
  double m_dropout;
  torch::nn::GroupNorm m_norm1{nullptr}, m_norm2{nullptr};
  SNConv2d m_conv1{nullptr}, m_conv2{nullptr}, m_skip{nullptr};
  SNLinear m_emb{nullptr};
};
TORCH_MODULE(UNetBlock);

class AttentionImpl : public torch::nn::Module {
 public:
  AttentionImpl(int64_t channels, const GroupNormSpec& norm);
  torch::Tensor forward(const torch::Tensor& x);

 private:
  torch::nn::GroupNorm m_norm{nullptr};
  SNConv2d m_qkv{nullptr}, m_proj{nullptr};
};
TORCH_MODULE(Attention);

class UNetInitializerImpl : public InitializerNetImpl {
 public:
  UNetInitializerImpl(const NetworkConfig& config, const std::vector<int64_t>& data_shape,
                      int64_t num_classes);
  torch::Tensor propose(const torch::Tensor& x, const torch::Tensor& emb) override;

 private:
  // One stage of the U-Net: a residual block, optionally followed by attention.
  struct Stage {
    UNetBlock block{nullptr};
    Attention attention{nullptr};
    bool skip_out = false;  // down path: push the output for the up path
    bool skip_in = false;   // up path: concatenate a skip before the block
  };
  torch::Tensor runStage(Stage& stage, torch::Tensor h, const torch::Tensor& emb_act);
  void addStage(std::vector<Stage>& path, const std::string& name, UNetBlock block, bool attend,
                int64_t channels, const GroupNormSpec& norm);

  SNConv2d m_in{nullptr}, m_out{nullptr};
  torch::nn::GroupNorm m_outNorm{nullptr};
  std::vector<Stage> m_down, m_mid, m_up;
};

}  // namespace cdrl
