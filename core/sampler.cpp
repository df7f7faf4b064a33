#include "sampler.h"

#include "langevin.h"

#include <stdexcept>

namespace cdrl {

void SampleOptions::validate(const ModelConfig& config) const {
  if (count < 1) throw std::invalid_argument("sample: count must be at least 1");
  if (steps < 0) throw std::invalid_argument("sample: steps must be ≥ 0 (0 = the model's K)");
  condition.validate(config.num_classes);
}

namespace {

torch::Tensor levelLambda(const Schedule& schedule, int i, int64_t batch, torch::Device device) {
  return torch::full({batch}, schedule.level(i).lambda,
                     torch::TensorOptions(device).dtype(torch::kFloat));
}

torch::Tensor cpu(const torch::Tensor& t) { return t.detach().to(torch::kCPU); }

}  // namespace

torch::Tensor tweedieDenoise(const Schedule& schedule, const EnergyFunction& energy_level1,
                             const torch::Tensor& x_0) {
  const auto& L0 = schedule.level(0);
  const auto& L1 = schedule.level(1);
  const double sqrt_m1 = std::sqrt(L1.m);
  const double s2_prime = schedule.tweedieStepVariance();
  // ∇_x F(sqrt(m_1)·x) = sqrt(m_1)·∇_y F(y) at y = sqrt(m_1)·x.
  auto [F, grad_y] = energyAndGradient(energy_level1, sqrt_m1 * x_0);
  torch::NoGradGuard no_grad;
  return (x_0 + (1.0 - L0.alpha_bar) * sqrt_m1 * grad_y / s2_prime) / std::sqrt(L0.alpha_bar);
}

// Algorithm 2.
SampleResult sample(Model& model, const SampleOptions& options, const LevelCallback& on_level,
                    const std::atomic<bool>* cancel) {
  options.validate(model.config());
  const Schedule& schedule = model.schedule();
  const int T = schedule.T();
  const int steps = options.steps > 0 ? options.steps : schedule.options().K;
  const auto device = model.device();
  const int64_t B = options.count;
  NetworkPair nets = model.networks(options.use_ema);
  nets.ebm.eval();
  nets.initializer.eval();
  torch::NoGradGuard no_grad;

  torch::Generator gen = at::detail::createCPUGenerator(options.seed);
  std::vector<int64_t> shape = {B};
  shape.insert(shape.end(), model.config().data_shape.begin(), model.config().data_shape.end());
  auto randn = [&](void) { return torch::randn(shape, gen).to(device); };

  SampleResult result;
  result.run_id = options.run_id;
  result.seed = options.seed;
  auto x = randn();  // x_T ~ N(0, I)
  for (int i = T; i >= 1; --i) {
    if (cancel && cancel->load()) break;
    const auto& L = schedule.level(i);
    GuidedInitializer g(nets.initializer, options.condition, levelLambda(schedule, i, B, device));
    GuidedEnergy F(nets.ebm, options.condition, levelLambda(schedule, i - 1, B, device));
    // §5 step 4: ŷ = g(x_i) + sqrt(β̃_i·m_i)·ε''.
    auto y_hat = g(x);
    const auto eps = randn();
    if (options.noise) y_hat = y_hat + std::sqrt(L.beta_tilde * L.m) * eps;
    const auto levels = torch::full({1}, i, torch::TensorOptions(device).dtype(torch::kLong));
    const auto coeff = langevinCoefficients(schedule, levels, steps, x.dim() - 1);
    LangevinOptions lopts;
    lopts.steps = steps;
    lopts.noise = options.noise;
    lopts.keep_steps = options.keep_steps;
    lopts.keep_samples = options.keep_samples;
    auto chain = langevinRefine(y_hat, x, coeff, std::ref(F), lopts, gen, cancel);
    if (chain.cancelled) break;
    const auto x_prev = chain.y / std::sqrt(L.m);  // x_{i−1} = ỹ / sqrt(m_i)
    if (on_level) {
      LevelTrace trace;
      trace.run_id = options.run_id;
      trace.level = i;
      trace.levels = T;
      trace.x_i = cpu(x);
      trace.y_hat = cpu(y_hat);
      trace.y_tilde = cpu(chain.y);
      trace.x_prev = cpu(x_prev);
      trace.steps = std::move(chain.steps);
      trace.step_energy = chain.energy;
      trace.step_displacement = chain.displacement;
      trace.energy_proposal = chain.energy.empty() ? 0.0 : chain.energy.front();
      trace.energy_refined = F(chain.y).mean().item<double>();
      on_level(trace);
    }
    x = x_prev;
    ++result.levels_done;
  }
  result.cancelled = result.levels_done < T;
  if (!result.cancelled && options.denoise) {
    GuidedEnergy F0(nets.ebm, options.condition, levelLambda(schedule, 0, B, device));
    x = tweedieDenoise(schedule, std::ref(F0), x);
  }
  result.samples = cpu(x);
  return result;
}

}  // namespace cdrl
