// Level and condition embedding shared by both networks (ALGORITHM.md §3).
#pragma once

#include "nn/spectral_norm.h"

#include <torch/torch.h>

namespace cdrl {

enum class Activation { LeakyRelu, Silu };

torch::Tensor activate(const torch::Tensor& x, Activation act);

// Sinusoidal embedding of 1000·u with u = atan(exp(-λ/2)) / (π/2): [B] → [B, dim].
torch::Tensor levelSinusoid(const torch::Tensor& lambda, int64_t dim);

// λ (and an optional label, 0 = ∅) → [B, widen·dim] (widen 4, §3; the authors' toy initializer
// keeps the width: 1).
class ConditionEmbeddingImpl : public torch::nn::Module {
 public:
  ConditionEmbeddingImpl(int64_t dim, int64_t num_classes, Activation act, bool spectral,
                         int64_t widen = 4);
  // `label` int64 [B] in 0..C, ignored (may be undefined) when the model is unconditional.
  torch::Tensor forward(const torch::Tensor& lambda, const torch::Tensor& label);
  int64_t width() const { return m_widen * m_dim; }

 private:
  int64_t m_dim;
  int64_t m_widen;
  int64_t m_numClasses;
  Activation m_act;
  SNLinear m_in{nullptr}, m_out{nullptr}, m_label{nullptr};
};
TORCH_MODULE(ConditionEmbedding);

}  // namespace cdrl
