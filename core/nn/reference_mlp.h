// The authors' 2-D toy networks (their toy_example.py, docs/import.md), so their files import
// exactly: an EBM of Linear residual blocks with gains and a linear readout, and an initializer of
// GroupNorm scale-and-shift blocks. NetworkConfig: width (EBM: first width; initializer: hidden
// width), multipliers (EBM, one block each), blocks (initializer), embed_dim (sinusoid size).
#pragma once

#include "nn/networks.h"

namespace cdrl {

// h = lin1(act(x)) + act(lin_e(act(emb))); h = lin2(act(h))·g; h + shortcut(x).
class ReferenceMlpEnergyBlockImpl : public torch::nn::Module {
 public:
  ReferenceMlpEnergyBlockImpl(int64_t in, int64_t out, int64_t emb_width, bool spectral);
  torch::Tensor forward(const torch::Tensor& x, const torch::Tensor& emb_act);

 private:
  SNLinear m_fc1{nullptr}, m_fc2{nullptr}, m_emb{nullptr}, m_skip{nullptr};
  torch::Tensor m_gain;
};
TORCH_MODULE(ReferenceMlpEnergyBlock);

// h = lin1(silu(GN(x))); h = GN(h)·(1 + scale) + shift; x + lin2(silu(h)), (scale, shift) from
// the embedding.
class ReferenceMlpInitBlockImpl : public torch::nn::Module {
 public:
  ReferenceMlpInitBlockImpl(int64_t width, int64_t emb_width, int64_t groups, double eps);
  torch::Tensor forward(const torch::Tensor& x, const torch::Tensor& emb_act);

 private:
  torch::nn::GroupNorm m_norm1{nullptr}, m_norm2{nullptr};
  SNLinear m_fc1{nullptr}, m_fc2{nullptr}, m_emb{nullptr};
};
TORCH_MODULE(ReferenceMlpInitBlock);

// F(y) = Σ head(relu(blocks(in(y)))).
class ReferenceMlpEnergyImpl : public EnergyNetImpl {
 public:
  ReferenceMlpEnergyImpl(const NetworkConfig& config, int64_t dim, int64_t num_classes);
  torch::Tensor energy(const torch::Tensor& y, const torch::Tensor& emb) override;

 private:
  SNLinear m_in{nullptr};
  std::vector<ReferenceMlpEnergyBlock> m_blocks;
  torch::nn::Linear m_head{nullptr};
};

// g(x) = x + out(silu(blocks(in(x)))), out zero-initialised.
class ReferenceMlpInitializerImpl : public InitializerNetImpl {
 public:
  ReferenceMlpInitializerImpl(const NetworkConfig& config, int64_t dim, int64_t num_classes);
  torch::Tensor propose(const torch::Tensor& x, const torch::Tensor& emb) override;

 private:
  SNLinear m_in{nullptr};
  std::vector<ReferenceMlpInitBlock> m_blocks;
  torch::nn::Linear m_out{nullptr};
};

}  // namespace cdrl
