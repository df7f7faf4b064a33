#include "cdrl/sampler.h"

#include "cdrl/langevin.h"
#include "nn/spectral_norm.h"
#include "runtime/keyed_generator.h"
#include "runtime/limits.h"
#include "runtime/shard_pool.h"

#include <algorithm>
#include <stdexcept>

namespace cdrl {

void SampleOptions::validate(const ModelConfig& config) const {
  limits::checkRange("sample: count", count, 1, limits::kMaxSamples);
  limits::checkRange("sample: steps", steps, 0, limits::kMaxLangevinSteps);
  if (first_row < 0) throw std::invalid_argument("sample: first_row must be ≥ 0");
  // x, ŷ, ỹ, the level's noise, ∇F and the trace's copies: about 8 batches of examples at once
  // (plus the networks' activations, which the callers bound with their batch size).
  const auto example = static_cast<double>(config.exampleElements()) * sizeof(float);
  limits::checkMemory("sampling " + std::to_string(count) + " examples at once",
                      8.0 * static_cast<double>(count) * example);
  if (shards < 0) throw std::invalid_argument("sample: shards must be ≥ 0 (0 = one per thread)");
  condition.validate(config.num_classes);
  if (x_T.defined()) {
    std::vector<int64_t> shape = {count};
    shape.insert(shape.end(), config.data_shape.begin(), config.data_shape.end());
    if (x_T.sizes() != torch::IntArrayRef(shape))
      throw std::invalid_argument("sample: x_T does not have the shape [count, data shape]");
  }
}

namespace {

torch::Tensor levelLambda(const Schedule& schedule, int i, int64_t batch, torch::Device device) {
  return torch::full({batch}, schedule.level(i).lambda,
                     torch::TensorOptions(device).dtype(torch::kFloat));
}

torch::Tensor cpu(const torch::Tensor& t) { return t.detach().to(torch::kCPU); }

// The noise of Algorithm 2, keyed by (seed, row, level, draw): row b's values come from a
// generator of its own, so a sample depends neither on the batch size nor on how the batch is
// split over cores or calls (SampleOptions::first_row), and a level's noise is drawn step by step
// as the chain needs it, never all K steps at once.
class RowNoise {
 public:
  static constexpr int kProposal = 0;  // draw 0: ε'' of the proposal; draw k + 1: Langevin step k

  RowNoise(uint64_t seed, int64_t first_row, std::vector<int64_t> example_shape,
           torch::Device device)
      : m_seed(seed), m_first_row(first_row), m_shape(std::move(example_shape)), m_device(device) {}

  // level T + 1 holds x_T.
  torch::Tensor operator()(int level, int draw, RowRange rows) const {
    std::vector<torch::Tensor> out;
    out.reserve(static_cast<size_t>(rows.size()));
    for (int64_t b = rows.begin; b < rows.end; ++b) {
      auto gen =
          keyedGenerator(m_seed, {static_cast<uint64_t>(m_first_row + b),
                                  static_cast<uint64_t>(level), static_cast<uint64_t>(draw)});
      out.push_back(torch::randn(m_shape, gen));
    }
    return torch::stack(out).to(m_device);
  }

 private:
  uint64_t m_seed;
  int64_t m_first_row;
  std::vector<int64_t> m_shape;
  torch::Device m_device;
};

}  // namespace

torch::Tensor tweedieDenoise(const Schedule& schedule, const EnergyGradient& energy_level1,
                             const torch::Tensor& x_0) {
  const auto& L0 = schedule.level(0);
  const auto& L1 = schedule.level(1);
  const double sqrt_m1 = std::sqrt(L1.m);
  const double s2_prime = schedule.tweedieStepVariance();
  // ∇_x F(sqrt(m_1)·x) = sqrt(m_1)·∇_y F(y) at y = sqrt(m_1)·x.
  auto [F, grad_y] = energy_level1(sqrt_m1 * x_0);
  torch::NoGradGuard no_grad;
  return (x_0 + (1.0 - L0.alpha_bar) * sqrt_m1 * grad_y / s2_prime) / std::sqrt(L0.alpha_bar);
}

namespace {

// One level's work on rows [begin, end) of the batch: proposal, chain and the refined energy.
struct LevelPart {
  torch::Tensor y_hat;
  LangevinResult chain;
  double energy_refined_sum = 0;
};

// Merges the parts' chains in row order; the per-step means are weighted by rows.
LangevinResult mergeChains(const std::vector<LevelPart>& parts, const std::vector<RowRange>& rows,
                           int64_t B) {
  LangevinResult merged;
  std::vector<torch::Tensor> y;
  merged.steps_done = parts.front().chain.steps_done;
  for (size_t p = 0; p < parts.size(); ++p) {
    const auto& chain = parts[p].chain;
    y.push_back(chain.y);
    merged.cancelled = merged.cancelled || chain.cancelled;
    merged.steps_done = std::min(merged.steps_done, chain.steps_done);
    const double share = static_cast<double>(rows[p].size()) / static_cast<double>(B);
    merged.energy.resize(chain.energy.size(), 0.0);
    merged.displacement.resize(chain.displacement.size(), 0.0);
    for (size_t k = 0; k < chain.energy.size(); ++k) merged.energy[k] += share * chain.energy[k];
    for (size_t k = 0; k < chain.displacement.size(); ++k)
      merged.displacement[k] += share * chain.displacement[k];
  }
  merged.y = torch::cat(y);
  if (merged.cancelled) return merged;
  for (size_t k = 0; k < parts.front().chain.steps.size(); ++k) {
    std::vector<torch::Tensor> step;
    for (const auto& part : parts) step.push_back(part.chain.steps[k]);
    merged.steps.push_back(torch::cat(step));
  }
  return merged;
}

}  // namespace

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
  cacheNormalizedWeights(nets.ebm);  // before the parts run the networks at once
  cacheNormalizedWeights(nets.initializer);

  const RowNoise noise(options.seed, options.first_row, model.config().data_shape, device);
  // CPU: the level's rows in one part per core (ShardPool), and guidance / composition terms in
  // passes of ≤ kCpuTermRows rows.
  const auto rows = batchParts(device, B, model.config().exampleElements(), options.shards);
  const int64_t max_rows = device.is_cpu() ? kCpuTermRows : 0;

  SampleResult result;
  result.run_id = options.run_id;
  result.seed = options.seed;
  auto x = options.x_T.defined() ? options.x_T.to(device, torch::kFloat)
                                 : noise(T + 1, RowNoise::kProposal, {0, B});  // x_T ~ N(0, I)
  for (int i = T; i >= 1; --i) {
    if (cancel && cancel->load()) break;
    const auto& L = schedule.level(i);
    const auto levels = torch::full({1}, i, torch::TensorOptions(device).dtype(torch::kLong));
    const auto coeff = langevinCoefficients(schedule, levels, steps, x.dim() - 1);
    std::vector<LevelPart> parts(rows.size());
    auto refine = [&](size_t p, RowRange r) {
      torch::NoGradGuard part_no_grad;  // grad mode is per thread
      const int64_t n = r.size();
      const auto x_part = x.slice(0, r.begin, r.end);
      GuidedInitializer g(nets.initializer, options.condition, levelLambda(schedule, i, n, device));
      GuidedEnergy F(nets.ebm, options.condition, levelLambda(schedule, i - 1, n, device));
      // §5 step 4: ŷ = g(x_i) + sqrt(β̃_i·m_i)·ε''.
      auto y_hat = g(x_part, max_rows);
      if (options.noise)
        y_hat = y_hat + std::sqrt(L.beta_tilde * L.m) * noise(i, RowNoise::kProposal, r);
      LangevinOptions lopts;
      lopts.steps = steps;
      lopts.noise = options.noise;
      lopts.keep_steps = options.keep_steps;
      lopts.keep_samples =
          options.keep_samples < 0 ? -1 : std::clamp<int64_t>(options.keep_samples - r.begin, 0, n);
      const LangevinNoise step_noise = [&](int k, const torch::Tensor&) {
        return noise(i, k + 1, r);
      };
      const EnergyGradient F_grad = [&](const torch::Tensor& y) {
        return F.withGradient(y, max_rows);
      };
      parts[p].chain = langevinRefine(y_hat, x_part, coeff, F_grad, lopts, step_noise, cancel);
      parts[p].y_hat = y_hat;
      if (on_level && !parts[p].chain.cancelled)
        parts[p].energy_refined_sum = F(parts[p].chain.y).sum().item<double>();
    };
    runParts(rows, refine);
    auto chain = mergeChains(parts, rows, B);
    if (chain.cancelled) break;
    const auto x_prev = chain.y / std::sqrt(L.m);  // x_{i−1} = ỹ / sqrt(m_i)
    if (on_level) {
      std::vector<torch::Tensor> y_hat;
      double energy_refined = 0;
      for (const auto& part : parts) {
        y_hat.push_back(part.y_hat);
        energy_refined += part.energy_refined_sum;
      }
      LevelTrace trace;
      trace.run_id = options.run_id;
      trace.level = i;
      trace.levels = T;
      trace.x_i = cpu(x);
      trace.y_hat = cpu(torch::cat(y_hat));
      trace.y_tilde = cpu(chain.y);
      trace.x_prev = cpu(x_prev);
      trace.steps = std::move(chain.steps);
      trace.step_energy = chain.energy;
      trace.step_displacement = chain.displacement;
      trace.energy_proposal = chain.energy.empty() ? 0.0 : chain.energy.front();
      trace.energy_refined = energy_refined / static_cast<double>(B);
      on_level(trace);
    }
    x = x_prev;
    ++result.levels_done;
  }
  result.cancelled = result.levels_done < T;
  if (!result.cancelled && options.denoise) {
    GuidedEnergy F0(nets.ebm, options.condition, levelLambda(schedule, 0, B, device));
    // The whole batch on this thread, its terms in passes like the chains' (memory: composition
    // otherwise peaks here, with all terms' graphs at once).
    x = tweedieDenoise(
        schedule, [&](const torch::Tensor& y) { return F0.withGradient(y, max_rows); }, x);
  }
  result.samples = cpu(x);
  return result;
}

}  // namespace cdrl
