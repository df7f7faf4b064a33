#include "nn/spectral_norm.h"

#include "runtime/flop_counter.h"

#include <cmath>

namespace cdrl {

namespace {

thread_local bool t_frozen = false;
constexpr double kEps = 1e-12;

torch::Tensor normalize(const torch::Tensor& t) { return t / (t.norm() + kEps); }

}  // namespace

FrozenWeights::FrozenWeights() : m_previous(t_frozen) { t_frozen = true; }
FrozenWeights::~FrozenWeights() { t_frozen = m_previous; }
bool FrozenWeights::active() { return t_frozen; }

void SpectralNormedImpl::initSpectral(torch::Tensor w, bool with_bias, int64_t fan_in,
                                      bool spectral) {
  m_spectral = spectral;
  const double bound = 1.0 / std::sqrt(static_cast<double>(fan_in));
  weight = register_parameter("weight", w.uniform_(-bound, bound));
  if (with_bias) bias = register_parameter("bias", torch::zeros({w.size(0)}));
  if (!m_spectral) return;
  const int64_t cols = w.numel() / w.size(0);
  u = register_buffer("u", normalize(torch::randn({w.size(0)})));
  v = register_buffer("v", normalize(torch::randn({cols})));
  powerIterate();
}

void SpectralNormedImpl::powerIterate() {
  if (!m_spectral) return;
  torch::NoGradGuard no_grad;
  const auto w = weight.reshape({weight.size(0), -1});
  v.copy_(normalize(torch::mv(w.t(), u)));
  u.copy_(normalize(torch::mv(w, v)));
}

torch::Tensor SpectralNormedImpl::sigma() const {
  return torch::dot(u, torch::mv(weight.reshape({weight.size(0), -1}), v));
}

torch::Tensor SpectralNormedImpl::normalizedWeight() {
  if (!m_spectral) return weight;
  if (is_training() && !FrozenWeights::active()) return weight / sigma();
  const int64_t versions[3] = {weight._version(), u._version(), v._version()};
  const bool stale = !m_cached.defined() || m_cachedDevice != weight.device() ||
                     !std::equal(versions, versions + 3, m_cachedVersion);
  if (stale) {
    torch::NoGradGuard no_grad;
    m_cached = (weight / sigma()).contiguous();
    std::copy(versions, versions + 3, m_cachedVersion);
    m_cachedDevice = weight.device();
  }
  return m_cached;
}

SNLinearImpl::SNLinearImpl(int64_t in, int64_t out, bool with_bias, bool spectral) {
  initSpectral(torch::empty({out, in}), with_bias, in, spectral);
}

torch::Tensor SNLinearImpl::forward(const torch::Tensor& x) {
  FlopCounter::add(2 * x.numel() * weight.size(0));
  return torch::nn::functional::linear(x, normalizedWeight(), bias);
}

SNConv2dImpl::SNConv2dImpl(int64_t in, int64_t out, int64_t kernel, bool with_bias, bool spectral)
    : m_padding(kernel / 2) {
  initSpectral(torch::empty({out, in, kernel, kernel}), with_bias, in * kernel * kernel, spectral);
}

torch::Tensor SNConv2dImpl::forward(const torch::Tensor& x) {
  auto y = torch::conv2d(x, normalizedWeight(), bias, /*stride=*/1, /*padding=*/m_padding);
  FlopCounter::add(2 * y.numel() * weight[0].numel());
  return y;
}

void powerIterate(torch::nn::Module& root) {
  for (const auto& module : root.modules(/*include_self=*/true)) {
    if (auto sn = std::dynamic_pointer_cast<SpectralNormedImpl>(module)) sn->powerIterate();
  }
}

void cacheNormalizedWeights(torch::nn::Module& root) {
  FrozenWeights frozen;  // the cache is what training-mode layers read inside a chain, too
  for (const auto& module : root.modules(/*include_self=*/true)) {
    if (auto sn = std::dynamic_pointer_cast<SpectralNormedImpl>(module)) sn->normalizedWeight();
  }
}

}  // namespace cdrl
