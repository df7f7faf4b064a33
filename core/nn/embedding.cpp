#include "nn/embedding.h"

#include <cmath>

namespace cdrl {

torch::Tensor activate(const torch::Tensor& x, Activation act) {
  switch (act) {
    case Activation::LeakyRelu:
      return torch::leaky_relu(x, 0.2);
    case Activation::Silu:
      return torch::silu(x);
  }
  return x;
}

torch::Tensor levelSinusoid(const torch::Tensor& lambda, int64_t dim) {
  const auto u = torch::atan(torch::exp(-lambda.to(torch::kFloat) / 2)) / (M_PI / 2);  // §3
  const int64_t h = dim / 2;
  const auto k = torch::arange(h, lambda.options().dtype(torch::kFloat));
  const auto freq = torch::exp(-std::log(10000.0) * k / std::max<int64_t>(h - 1, 1));
  const auto angle = (1000.0 * u).unsqueeze(1) * freq.unsqueeze(0);
  return torch::cat({torch::sin(angle), torch::cos(angle)}, 1);
}

ConditionEmbeddingImpl::ConditionEmbeddingImpl(int64_t dim, int64_t num_classes, Activation act,
                                               bool spectral, int64_t widen)
    : m_dim(dim), m_widen(widen), m_numClasses(num_classes), m_act(act) {
  m_in = register_module("level_in", SNLinear(dim, width(), true, spectral));
  m_out = register_module("level_out", SNLinear(width(), width(), true, spectral));
  if (num_classes > 0)
    m_label = register_module("label", SNLinear(num_classes + 1, width(), true, spectral));
}

torch::Tensor ConditionEmbeddingImpl::forward(const torch::Tensor& lambda,
                                              const torch::Tensor& label) {
  auto emb = m_out(activate(m_in(levelSinusoid(lambda, m_dim)), m_act));
  if (m_numClasses > 0) {
    // §3: one-hot over C + 1 entries, index 0 = ∅.
    const auto one_hot = torch::one_hot(label, m_numClasses + 1).to(emb.dtype());
    emb = emb + m_label(one_hot);
  }
  return emb;
}

}  // namespace cdrl
