#include "cdrl/langevin.h"

#include "nn/spectral_norm.h"

namespace cdrl {

LangevinCoefficients langevinCoefficients(const Schedule& schedule, const torch::Tensor& levels,
                                          int steps, int64_t data_dims) {
  const int T = schedule.T();
  const double K = schedule.options().K;
  std::vector<double> a(T + 1, 0.0), b(T + 1, 0.0), sigma(T + 1, 0.0);
  for (int i = 1; i <= T; ++i) {
    const auto& L = schedule.level(i);
    const double h = L.s2 * K / steps;  // §4: s_i·sqrt(K/K')
    a[i] = h / (2.0 * L.s2);
    b[i] = L.anchored ? h / (2.0 * L.beta) : 0.0;
    sigma[i] = std::sqrt(h);
  }
  auto gather = [&](const std::vector<double>& table) {
    auto t = torch::tensor(table, torch::kDouble)
                 .to(levels.device())
                 .index_select(0, levels.to(torch::kLong));
    std::vector<int64_t> shape = {levels.size(0)};
    shape.insert(shape.end(), data_dims, 1);
    return t.to(torch::kFloat).reshape(shape);
  };
  return {gather(a), gather(b), gather(sigma)};
}

std::pair<torch::Tensor, torch::Tensor> energyAndGradient(const EnergyFunction& energy,
                                                          const torch::Tensor& y) {
  torch::AutoGradMode grad_mode(true);
  FrozenWeights frozen;  // parameters are constants inside the chain
  auto y_var = y.detach().requires_grad_(true);
  auto F = energy(y_var);
  auto grad = torch::autograd::grad({F.sum()}, {y_var})[0];
  return {F.detach(), grad};
}

torch::Tensor langevinStep(const torch::Tensor& y, const torch::Tensor& x_i,
                           const torch::Tensor& grad_F, const LangevinCoefficients& coeff,
                           const torch::Tensor& eps) {
  // §4: y ← y + ½∇F − (s²/(2β))(y − x_i) + s·ε, in the K'-adjusted form of LangevinCoefficients.
  auto next = y + coeff.grad_scale * grad_F - coeff.anchor * (y - x_i);
  if (eps.defined()) next = next + coeff.noise_std * eps;
  return next;
}

LangevinResult langevinRefine(const torch::Tensor& y_hat, const torch::Tensor& x_i,
                              const LangevinCoefficients& coeff, const EnergyGradient& energy,
                              const LangevinOptions& options, const LangevinNoise& noise,
                              const std::atomic<bool>* cancel) {
  LangevinResult result;
  auto y = y_hat.detach();
  for (int k = 0; k < options.steps; ++k) {
    // Check for abort.
    if (cancel && cancel->load(std::memory_order_relaxed)) {
      result.cancelled = true;
      break;
    }
    auto [F, grad_F] = energy(y);
    torch::NoGradGuard no_grad;
    torch::Tensor eps;
    if (options.noise) eps = noise(k, y);
    y = langevinStep(y, x_i, grad_F, coeff, eps);
    ++result.steps_done;
    if (options.record) {
      result.energy.push_back(F.mean().item<double>());
      result.displacement.push_back((y - y_hat).flatten(1).norm(2, 1).mean().item<double>());
    }
    if (options.keep_steps) {
      // A viewer replays a few samples: copy only those, not the whole batch, every step.
      const bool part = options.keep_samples >= 0 && options.keep_samples < y.size(0);
      result.steps.push_back(part ? y.slice(0, 0, options.keep_samples).to(torch::kCPU).clone()
                                  : y.to(torch::kCPU));
    }
  }
  result.y = y;
  return result;
}

LangevinResult langevinRefine(const torch::Tensor& y_hat, const torch::Tensor& x_i,
                              const LangevinCoefficients& coeff, const EnergyFunction& energy,
                              const LangevinOptions& options, torch::Generator generator,
                              const std::atomic<bool>* cancel) {
  const LangevinNoise draw = [&generator](int, const torch::Tensor& y) {
    return torch::randn(y.sizes(), generator).to(y.device());
  };
  const EnergyGradient autograd = [&energy](const torch::Tensor& y) {
    return energyAndGradient(energy, y);
  };
  return langevinRefine(y_hat, x_i, coeff, autograd, options, draw, cancel);
}

}  // namespace cdrl
