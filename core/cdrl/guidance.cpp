#include "cdrl/guidance.h"

#include "nn/spectral_norm.h"

#include <algorithm>
#include <cmath>
#include <stdexcept>

namespace cdrl {

namespace {

// Zero-weight terms cost a forward pass and change nothing: drop them.
Condition pruned(std::vector<ConditionTerm> terms) {
  Condition c;
  for (const auto& t : terms)
    if (t.weight != 0.0) c.terms.push_back(t);
  if (c.terms.empty()) c.terms.push_back({0, 1.0});
  return c;
}

}  // namespace

Condition Condition::none() { return {{{0, 1.0}}}; }

Condition Condition::guided(int64_t label, double w) {
  return pruned({{label, 1.0 + w}, {0, -w}});  // §7
}

Condition Condition::composed(const std::vector<ConditionTerm>& concepts) {
  std::vector<ConditionTerm> terms = concepts;
  double total = 0.0;
  for (const auto& t : concepts) total += t.weight;
  terms.push_back({0, 1.0 - total});  // §7: − (Σ w_k − 1)·F(y|∅)
  return pruned(terms);
}

void Condition::validate(int64_t num_classes) const {
  if (terms.empty()) throw std::invalid_argument("condition: no terms");
  for (const auto& t : terms) {
    if (!std::isfinite(t.weight)) throw std::invalid_argument("condition: weight is not finite");
    if (t.label < 0 || t.label > num_classes)
      throw std::invalid_argument("condition: label " + std::to_string(t.label) + " outside 0.." +
                                  std::to_string(num_classes));
    if (num_classes == 0 && t.label != 0)
      throw std::invalid_argument("condition: the model is unconditional");
  }
}

StackedTerms::StackedTerms(const Condition& condition, const torch::Tensor& lambda_batch) {
  terms = static_cast<int64_t>(condition.terms.size());
  const int64_t B = lambda_batch.size(0);
  batch = B;
  std::vector<int64_t> label_list;
  std::vector<float> weight_list;
  for (const auto& t : condition.terms) {
    label_list.insert(label_list.end(), B, t.label);
    weight_list.push_back(static_cast<float>(t.weight));
  }
  const auto device = lambda_batch.device();
  labels = torch::tensor(label_list, torch::kLong).to(device);
  lambda = lambda_batch.repeat({terms});
  weights = torch::tensor(weight_list, torch::kFloat).to(device);
  identity = terms == 1 && condition.terms.front().weight == 1.0;
}

torch::Tensor StackedTerms::stack(const torch::Tensor& x) const { return repeatBatch(x, terms); }

torch::Tensor StackedTerms::combine(const torch::Tensor& out) const {
  if (identity) return out;  // decided once: combine() runs every Langevin step
  return combinePart(out, 0);
}

torch::Tensor StackedTerms::combinePart(const torch::Tensor& out, int64_t first) const {
  auto sizes = out.sizes().vec();
  const int64_t m = sizes[0] / batch;
  sizes[0] = batch;
  sizes.insert(sizes.begin(), m);
  std::vector<int64_t> w_shape(sizes.size(), 1);
  w_shape[0] = m;
  return (out.reshape(sizes) * weights.slice(0, first, first + m).reshape(w_shape)).sum(0);
}

int64_t StackedTerms::termsPerPass(int64_t max_rows) const {
  if (max_rows <= 0) return terms;
  return std::clamp<int64_t>(max_rows / std::max<int64_t>(batch, 1), 1, terms);
}

GuidedEnergy::GuidedEnergy(EnergyNetImpl& ebm, const Condition& condition,
                           const torch::Tensor& lambda)
    : m_ebm(ebm), m_stacked(condition, lambda) {
  torch::NoGradGuard no_grad;  // the embedding is a constant of the chain
  m_emb = m_ebm.embed(m_stacked.lambda, m_stacked.labels);
}

torch::Tensor GuidedEnergy::operator()(const torch::Tensor& y) {
  return m_stacked.combine(m_ebm.energyStacked(y, m_emb, m_stacked.terms));
}

std::pair<torch::Tensor, torch::Tensor> GuidedEnergy::withGradient(const torch::Tensor& y,
                                                                   int64_t max_rows) {
  torch::AutoGradMode grad_mode(true);
  FrozenWeights frozen;  // parameters are constants inside the chain
  const auto y_var = y.detach().requires_grad_(true);
  const int64_t B = y.size(0), n = m_stacked.terms;
  const int64_t per_pass = m_stacked.termsPerPass(max_rows);
  const auto prefix = m_ebm.prefix(y_var);
  if (per_pass >= n) {
    const auto F = m_stacked.combine(m_ebm.energyFromPrefix(prefix, m_emb, n));
    return {F.detach(), torch::autograd::grad({F.sum()}, {y_var})[0]};
  }
  // Terms t0 … t1 − 1 against the prefix outputs as leaves; their gradients add up, then one
  // backward through the prefix.
  std::vector<torch::Tensor> leaves, leaf_grads;
  for (const auto& p : prefix) {
    leaves.push_back(p.detach().requires_grad_(true));
    leaf_grads.push_back(torch::zeros_like(p));
  }
  auto F = torch::zeros({B}, y.options());
  for (int64_t t0 = 0; t0 < n; t0 += per_pass) {
    const int64_t t1 = std::min(n, t0 + per_pass);
    const auto out = m_ebm.energyFromPrefix(leaves, m_emb.slice(0, t0 * B, t1 * B), t1 - t0)
                         .reshape({t1 - t0, B});
    const auto part = (out * m_stacked.weights.slice(0, t0, t1).unsqueeze(1)).sum(0);
    const auto grads = torch::autograd::grad({part.sum()}, leaves);
    for (size_t k = 0; k < leaves.size(); ++k) leaf_grads[k] += grads[k];
    F += part.detach();
  }
  return {F, torch::autograd::grad(prefix, {y_var}, leaf_grads)[0]};
}

GuidedInitializer::GuidedInitializer(InitializerNetImpl& initializer, const Condition& condition,
                                     const torch::Tensor& lambda)
    : m_init(initializer), m_stacked(condition, lambda) {
  torch::NoGradGuard no_grad;
  m_emb = m_init.embed(m_stacked.lambda, m_stacked.labels);
}

torch::Tensor GuidedInitializer::operator()(const torch::Tensor& x, int64_t max_rows) {
  const int64_t B = x.size(0), n = m_stacked.terms;
  const int64_t per_pass = m_stacked.termsPerPass(max_rows);
  if (per_pass >= n) return m_stacked.combine(m_init.propose(m_stacked.stack(x), m_emb));
  torch::Tensor sum;
  for (int64_t t0 = 0; t0 < n; t0 += per_pass) {
    const int64_t t1 = std::min(n, t0 + per_pass);
    const auto part = m_stacked.combinePart(
        m_init.propose(repeatBatch(x, t1 - t0), m_emb.slice(0, t0 * B, t1 * B)), t0);
    sum = sum.defined() ? sum + part : part;
  }
  return sum;
}

}  // namespace cdrl
