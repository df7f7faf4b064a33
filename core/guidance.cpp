#include "guidance.h"

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
  auto sizes = out.sizes().vec();
  const int64_t B = sizes[0] / terms;
  sizes[0] = B;
  sizes.insert(sizes.begin(), terms);
  std::vector<int64_t> w_shape(sizes.size(), 1);
  w_shape[0] = terms;
  return (out.reshape(sizes) * weights.reshape(w_shape)).sum(0);
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

GuidedInitializer::GuidedInitializer(InitializerNetImpl& initializer, const Condition& condition,
                                     const torch::Tensor& lambda)
    : m_init(initializer), m_stacked(condition, lambda) {
  torch::NoGradGuard no_grad;
  m_emb = m_init.embed(m_stacked.lambda, m_stacked.labels);
}

torch::Tensor GuidedInitializer::operator()(const torch::Tensor& x) {
  return m_stacked.combine(m_init.propose(m_stacked.stack(x), m_emb));
}

}  // namespace cdrl
