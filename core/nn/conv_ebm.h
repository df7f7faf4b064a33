// The reference convolutional EBM of ALGORITHM.md §3, sized by NetworkConfig.
#pragma once

#include "nn/networks.h"

namespace cdrl {

// h = conv(act(x)) + act(Linear(act(emb))); h = conv(act(h))·g; h + shortcut(x).
class EbmBlockImpl : public torch::nn::Module {
 public:
  EbmBlockImpl(int64_t in, int64_t out, int64_t emb_width, bool spectral);
  torch::Tensor forward(const torch::Tensor& x, const torch::Tensor& emb_act);
  // conv1(act(x)): the part of the block that does not see the condition.
  torch::Tensor unconditioned(const torch::Tensor& x);
  // The rest, given x and u = unconditioned(x).
  torch::Tensor conditioned(const torch::Tensor& x, const torch::Tensor& u,
                            const torch::Tensor& emb_act);

 private:
  SNConv2d m_conv1{nullptr}, m_conv2{nullptr}, m_skip{nullptr};
  SNLinear m_emb{nullptr};
  torch::Tensor m_gain;
};
TORCH_MODULE(EbmBlock);

class ConvEnergyImpl : public EnergyNetImpl {
 public:
  ConvEnergyImpl(const NetworkConfig& config, int64_t channels, int64_t num_classes);
  torch::Tensor energy(const torch::Tensor& y, const torch::Tensor& emb) override;
  // The input convolution and the first block's first convolution see y alone: {x, u} with
  // x = in(y), u = block0.unconditioned(x), run once on B rows for all n terms.
  std::vector<torch::Tensor> prefix(const torch::Tensor& y) override;
  torch::Tensor energyFromPrefix(const std::vector<torch::Tensor>& prefix_out,
                                 const torch::Tensor& emb, int64_t n) override;

 private:
  SNConv2d m_in{nullptr};
  std::vector<EbmBlock> m_blocks;
  std::vector<bool> m_poolAfter;  // average-pool 2×2 after this block
  torch::nn::Linear m_head{nullptr};
};

}  // namespace cdrl
