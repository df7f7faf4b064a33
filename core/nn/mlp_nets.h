// Residual MLPs over 2-D points: this project's `toy2d` networks.
#pragma once

#include "nn/networks.h"

namespace cdrl {

// One residual stage: h = act(x); h = lin(h) + lin_e(act(emb)); h = act(h); h = lin(h); x + h.
class MlpBlockImpl : public torch::nn::Module {
 public:
  MlpBlockImpl(int64_t in, int64_t out, int64_t emb_width, Activation act, bool spectral);
  torch::Tensor forward(const torch::Tensor& x, const torch::Tensor& emb);

 private:
  Activation m_act;
  SNLinear m_fc1{nullptr}, m_fc2{nullptr}, m_emb{nullptr}, m_skip{nullptr};
};
TORCH_MODULE(MlpBlock);

// Residual MLP trunk shared by the EBM and the initializer: optional Fourier features of the
// input, an input layer, then stages of blocks.
class MlpTrunkImpl : public torch::nn::Module {
 public:
  MlpTrunkImpl(const NetworkConfig& config, int64_t in, int64_t emb_width, Activation act);
  torch::Tensor forward(const torch::Tensor& x, const torch::Tensor& emb);
  // [x, g·sin 2πxB, g·cos 2πxB] (g = 1/√M when normalised, else 1), or x itself when the trunk
  // has no Fourier features.
  torch::Tensor features(const torch::Tensor& x) const;
  int64_t outWidth() const { return m_outWidth; }

 private:
  torch::Tensor m_fourier;  // B: [in, fourier_features], drawn once, saved with the weights
  double m_fourierGain = 1.0;
  SNLinear m_in{nullptr};
  std::vector<MlpBlock> m_blocks;
  int64_t m_outWidth;
};
TORCH_MODULE(MlpTrunk);

class MlpEnergyImpl : public EnergyNetImpl {
 public:
  MlpEnergyImpl(const NetworkConfig& config, int64_t dim, int64_t num_classes);
  torch::Tensor energy(const torch::Tensor& y, const torch::Tensor& emb) override;

 private:
  MlpTrunk m_trunk{nullptr};
  torch::nn::Linear m_head{nullptr};
};

class MlpInitializerImpl : public InitializerNetImpl {
 public:
  MlpInitializerImpl(const NetworkConfig& config, int64_t dim, int64_t num_classes);
  torch::Tensor propose(const torch::Tensor& x, const torch::Tensor& emb) override;

 private:
  MlpTrunk m_trunk{nullptr};
  torch::nn::Linear m_out{nullptr};
};

}  // namespace cdrl
