// The two networks of ALGORITHM.md §3 behind one interface each, and their factory.
// Level and condition enter through an embedding computed once (`embed`) and reused for every
// forward at that level: within a Langevin chain neither changes (PRODUCT.md, known traps).
#pragma once

#include "io/network_config.h"
#include "nn/embedding.h"

#include <torch/torch.h>

#include <memory>
#include <vector>

namespace cdrl {

// [B, ...] → [n·B, ...]: n copies of the batch, copy k in rows k·B … (k + 1)·B − 1.
torch::Tensor repeatBatch(const torch::Tensor& x, int64_t n);

// F_θ(y; λ, c) → one scalar per sample; higher = more probable.
class EnergyNetImpl : public torch::nn::Module {
 public:
  // λ [B] (of the level being modelled, λ_{i-1}) and labels [B] (0 = ∅) → embedding [B, E].
  virtual torch::Tensor embed(const torch::Tensor& lambda, const torch::Tensor& label) {
    return m_embedding(lambda, label);
  }
  virtual torch::Tensor energy(const torch::Tensor& y, const torch::Tensor& emb) = 0;
  // F under n conditions at once (§7's terms), in two parts so a network whose first layers do
  // not see the condition runs those once for every term: `prefix` maps y [B, ...] to those
  // layers' outputs (default: y itself), `energyFromPrefix` the rest, given the prefix outputs
  // (each [B, ...], shared by every term) and emb [n·B, E] stacking the terms' embeddings (copy
  // k of the batch with term k) → [n·B].
  virtual std::vector<torch::Tensor> prefix(const torch::Tensor& y) { return {y}; }
  virtual torch::Tensor energyFromPrefix(const std::vector<torch::Tensor>& prefix_out,
                                         const torch::Tensor& emb, int64_t n) {
    return energy(repeatBatch(prefix_out.front(), n), emb);
  }
  torch::Tensor energyStacked(const torch::Tensor& y, const torch::Tensor& emb, int64_t n) {
    return energyFromPrefix(prefix(y), emb, n);
  }

 protected:
  ConditionEmbedding m_embedding{nullptr};
};

// g_φ(x_i; λ_i, c) = x_i + net(x_i), net's last layer zero-initialised.
class InitializerNetImpl : public torch::nn::Module {
 public:
  virtual torch::Tensor embed(const torch::Tensor& lambda, const torch::Tensor& label) {
    return m_embedding(lambda, label);
  }
  virtual torch::Tensor propose(const torch::Tensor& x, const torch::Tensor& emb) = 0;

 protected:
  ConditionEmbedding m_embedding{nullptr};
};

using EnergyNet = std::shared_ptr<EnergyNetImpl>;
using InitializerNet = std::shared_ptr<InitializerNetImpl>;

// `data_shape` is one example's shape ({2} or {C, H, W}); `num_classes` C (0 = unconditional).
EnergyNet makeEnergyNet(const NetworkConfig& config, const std::vector<int64_t>& data_shape,
                        int64_t num_classes);
InitializerNet makeInitializerNet(const NetworkConfig& config,
                                  const std::vector<int64_t>& data_shape, int64_t num_classes);

// Copies every parameter and buffer of `from` into `to` (same architecture), without history.
void copyState(torch::nn::Module& to, const torch::nn::Module& from);

}  // namespace cdrl
