// Classifier-free guidance and concept composition as one weighted sum of conditional terms
// (ALGORITHM.md §7), evaluated in one batched forward pass over stacked copies.
#pragma once

#include "nn/networks.h"

#include <torch/torch.h>

#include <vector>

namespace cdrl {

struct ConditionTerm {
  int64_t label = 0;  // 0 = ∅, else class / concept index 1..C
  double weight = 1.0;
};

// F(y | condition) = Σ_k w_k · F(y | c_k). Every constructor gives weights that sum to 1, so the
// same combination of the initializer's outputs is an affine combination of proposals.
struct Condition {
  std::vector<ConditionTerm> terms;

  // F(y | ∅).
  static Condition none();
  // (1 + w)·F(y|c) − w·F(y|∅)  (§7); w = 0 is plain conditioning on c.
  static Condition guided(int64_t label, double w);
  // Σ_k w_k F(y|c_k) − (Σ_k w_k − 1)·F(y|∅)  (§7); one concept with weight 1 is conditioning on it.
  static Condition composed(const std::vector<ConditionTerm>& concepts);

  // Throws std::invalid_argument naming the bad term.
  void validate(int64_t num_classes) const;
};

// The terms of a condition laid out for one batched pass: copy k of the batch carries label c_k.
struct StackedTerms {
  torch::Tensor labels;   // [n·B] int64
  torch::Tensor lambda;   // [n·B]
  torch::Tensor weights;  // [n] float
  int64_t terms = 1;
  int64_t batch = 0;      // B
  bool identity = false;  // a single term of weight 1: combine() passes through

  StackedTerms(const Condition& condition, const torch::Tensor& lambda);
  // [B, ...] → [n·B, ...]
  torch::Tensor stack(const torch::Tensor& x) const;
  // [n·B, ...] → Σ_k w_k · out_k, [B, ...]
  torch::Tensor combine(const torch::Tensor& out) const;
  // Terms first … first + m − 1 only: [m·B, ...] → Σ_k w_k · out_k over those terms.
  torch::Tensor combinePart(const torch::Tensor& out, int64_t first) const;
  // Terms per pass for passes of at most `max_rows` stacked rows (≥ 1; 0 = all terms at once).
  int64_t termsPerPass(int64_t max_rows) const;
};

// The guided energy of one level: embeddings of every term computed once, then each call runs one
// forward over the n stacked copies [n·B, ...] and combines them.
class GuidedEnergy {
 public:
  GuidedEnergy(EnergyNetImpl& ebm, const Condition& condition, const torch::Tensor& lambda);
  torch::Tensor operator()(const torch::Tensor& y);  // [B]

  // F(y) and ∇_y F(y), parameters constant (as energyAndGradient). The network's condition-free
  // prefix runs once; the terms run in passes of at most `max_rows` stacked rows (at least one
  // term each; 0 = all terms in one pass), each pass's graph freed before the next, so the
  // memory held grows with max_rows, not with the number of terms.
  std::pair<torch::Tensor, torch::Tensor> withGradient(const torch::Tensor& y,
                                                       int64_t max_rows = 0);

 private:
  EnergyNetImpl& m_ebm;
  StackedTerms m_stacked;
  torch::Tensor m_emb;  // [n·B, E]
};

// The same combination of the initializer's proposals: Σ_k w_k · g(x | c_k).
class GuidedInitializer {
 public:
  GuidedInitializer(InitializerNetImpl& initializer, const Condition& condition,
                    const torch::Tensor& lambda);
  // The terms in passes of at most `max_rows` stacked rows (at least one term each; 0 = one
  // pass), as GuidedEnergy::withGradient.
  torch::Tensor operator()(const torch::Tensor& x, int64_t max_rows = 0);

 private:
  InitializerNetImpl& m_init;
  StackedTerms m_stacked;
  torch::Tensor m_emb;
};

}  // namespace cdrl
