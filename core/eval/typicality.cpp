#include "eval/typicality.h"

#include "cdrl/langevin.h"

#include <ATen/CPUGeneratorImpl.h>

#include <algorithm>
#include <cmath>
#include <stdexcept>

namespace cdrl {

namespace {

void checkShape(const Model& model, const torch::Tensor& x, const char* what) {
  if (x.dim() < 2 || x.sizes().slice(1).vec() != model.config().data_shape)
    throw std::invalid_argument(std::string(what) + ": inputs do not have the model's data shape");
}

// Squared Mahalanobis distance of each level's columns per row: [N, T].
torch::Tensor levelDistances(const GaussianFit& fit, const torch::Tensor& features, int levels,
                             int64_t per_level) {
  const auto z = (features.to(torch::kCPU, torch::kDouble) - fit.mean) / fit.scale;
  std::vector<torch::Tensor> columns;
  for (int l = 0; l < levels; ++l) {
    const int64_t a = per_level * l, b = a + per_level;
    const auto level = z.slice(1, a, b);
    const auto block = fit.covariance.slice(0, a, b).slice(1, a, b);
    columns.push_back((level.matmul(torch::linalg_inv(block)) * level).sum(1));
  }
  return torch::stack(columns, 1);
}

}  // namespace

int64_t featuresPerLevel(const ModelConfig& config) { return config.num_classes > 0 ? 5 : 3; }

double chiSquare95(int64_t degrees) {
  static const double kTable[] = {3.841458820694124,  5.991464547107979,  7.814727903251178,
                                  9.487729036781154,  11.070497693516351, 12.591587243743977,
                                  14.067140449340169, 15.507313055865453};
  if (degrees < 1 || degrees > 8) throw std::invalid_argument("chiSquare95: degrees in 1 … 8");
  return kTable[degrees - 1];
}

torch::Tensor typicalityFeatures(Model& model, const torch::Tensor& x,
                                 const TypicalityOptions& options, const std::atomic<bool>* cancel,
                                 const ScoreProgress& progress) {
  checkShape(model, x, "typicality features");
  if (options.draws < 1) throw std::invalid_argument("typicality features: draws must be ≥ 1");
  if (options.batch < 1) throw std::invalid_argument("typicality features: batch must be ≥ 1");
  const Schedule& schedule = model.schedule();
  const int T = schedule.T();
  NetworkPair nets = model.networks(options.use_ema);
  nets.ebm.eval();
  // The fixed noise ε_{d,i}: one per draw and level, the same for every input, drawn on the CPU
  // so a seed gives the same score on every device.
  auto generator = at::make_generator<at::CPUGeneratorImpl>(options.seed);
  std::vector<int64_t> noise_shape = {options.draws, T};
  for (int64_t s : model.config().data_shape) noise_shape.push_back(s);
  const auto eps = torch::randn(noise_shape, generator, torch::kFloat).to(model.device());
  nets.initializer.eval();
  const auto on_device = torch::TensorOptions(model.device()).dtype(torch::kFloat);
  const int64_t N = x.size(0);
  const int64_t L = featuresPerLevel(model.config());
  const int64_t C = model.config().num_classes;
  auto features = torch::empty({N, L * T}, torch::kDouble);
  for (int64_t start = 0; start < N; start += options.batch) {
    if (cancel && cancel->load()) return {};
    const auto chunk = x.slice(0, start, start + options.batch).to(model.device(), torch::kFloat);
    const int64_t n = chunk.size(0);
    const auto label = torch::zeros({n}, torch::TensorOptions(model.device()).dtype(torch::kLong));
    for (int i = 1; i <= T; ++i) {
      const auto& prev = schedule.level(i - 1);
      const auto& level = schedule.level(i);
      const double sqrt_m = std::sqrt(level.m);
      torch::Tensor emb_ebm, emb_init;
      {
        torch::NoGradGuard no_grad;
        emb_ebm = nets.ebm.embed(torch::full({n}, prev.lambda, on_device), label);
        emb_init = nets.initializer.embed(torch::full({n}, level.lambda, on_device), label);
      }
      auto energy_sum = torch::zeros({n}, torch::kDouble);
      auto grad_norm_sum = torch::zeros({n}, torch::kDouble);
      auto init_error_sum = torch::zeros({n}, torch::kDouble);
      auto evidence_sum = torch::zeros({n}, torch::kDouble);
      auto margin_sum = torch::zeros({n}, torch::kDouble);
      torch::Tensor emb_classes;  // [C·n, E], concept-major: concept c on rows (c−1)·n … c·n − 1
      if (C > 0) {
        torch::NoGradGuard no_grad;
        const auto labels = torch::arange(1, C + 1, label.options()).repeat_interleave(n);
        emb_classes = nets.ebm.embed(torch::full({C * n}, prev.lambda, on_device), labels);
      }
      for (int d = 0; d < options.draws; ++d) {
        // §2 and §5.2: both noise levels from the same ε; the EBM sees y⁺ = sqrt(m_i)·x_{i−1}.
        const auto e = eps[d][i - 1].unsqueeze(0);
        const auto x_prev = std::sqrt(prev.alpha_bar) * chunk + std::sqrt(1.0 - prev.alpha_bar) * e;
        const auto x_i = std::sqrt(level.alpha_bar) * chunk + std::sqrt(1.0 - level.alpha_bar) * e;
        const auto y_pos = sqrt_m * x_prev;
        const auto [F, grad] = energyAndGradient(
            [&](const torch::Tensor& y) { return nets.ebm.energy(y, emb_ebm); }, y_pos);
        energy_sum += F.to(torch::kCPU, torch::kDouble);
        grad_norm_sum += grad.flatten(1).norm(2, 1).to(torch::kCPU, torch::kDouble);
        // The initializer's error and the class evidence at the first draw only: the U-Net and C
        // more EBM passes per draw would dominate the time.
        if (d > 0) continue;
        torch::NoGradGuard no_grad;
        const auto y_hat = nets.initializer.propose(x_i, emb_init);
        init_error_sum += (y_hat - y_pos).flatten(1).norm(2, 1).to(torch::kCPU, torch::kDouble);
        if (C > 0) {
          // §7: ΔF_c = F(y|c) − F(y|∅), the class evidence guidance follows.
          const auto F_c = nets.ebm.energyStacked(y_pos, emb_classes, C).view({C, n});
          const auto delta = (F_c - F.unsqueeze(0)).to(torch::kCPU, torch::kDouble);
          const auto top = std::get<0>(delta.topk(std::min<int64_t>(2, C), 0));
          evidence_sum += top[0];
          if (C > 1) margin_sum += top[0] - top[1];
        }
      }
      auto rows = features.slice(0, start, start + n);
      const int64_t c = L * (i - 1);
      rows.select(1, c).copy_(energy_sum / options.draws);
      rows.select(1, c + 1).copy_((grad_norm_sum / options.draws).clamp_min(1e-30).log());
      rows.select(1, c + 2).copy_(init_error_sum.clamp_min(1e-30).log());
      if (C > 0) {
        rows.select(1, c + 3).copy_(evidence_sum);
        rows.select(1, c + 4).copy_(margin_sum);
      }
    }
    if (progress) progress(start + n, N);
  }
  return features;
}

Calibration calibrate(Model& model, const torch::Tensor& in_distribution,
                      const TypicalityOptions& options, const std::string& data,
                      const std::atomic<bool>* cancel, const ScoreProgress& progress) {
  if (in_distribution.dim() < 2 || in_distribution.size(0) < 2)
    throw std::invalid_argument("calibration: needs at least 2 in-distribution examples");
  const auto features = typicalityFeatures(model, in_distribution, options, cancel, progress);
  Calibration c;
  if (!features.defined()) return c;
  c.fit = fitShrunkGaussian(features);
  c.options = options;
  c.data = data;
  c.levels = model.schedule().T();
  c.per_level = featuresPerLevel(model.config());
  const auto scores = gaussianLogDensity(c.fit, features);
  const auto q = torch::linspace(0.0, 1.0, kCalibrationQuantiles, torch::kDouble);
  c.quantiles = torch::quantile(scores, q);
  c.count = in_distribution.size(0);
  return c;
}

TypicalityScores typicalityScores(Model& model, const Calibration& calibration,
                                  const torch::Tensor& x, const std::atomic<bool>* cancel,
                                  const ScoreProgress& progress) {
  if (calibration.levels != model.schedule().T() ||
      calibration.per_level != featuresPerLevel(model.config()))
    throw std::invalid_argument("typicality: the calibration does not fit the model (" +
                                std::to_string(calibration.levels) + " levels of " +
                                std::to_string(calibration.per_level) + " features)");
  TypicalityScores s;
  s.features = typicalityFeatures(model, x, calibration.options, cancel, progress);
  if (!s.features.defined()) return s;
  s.score = gaussianLogDensity(calibration.fit, s.features);
  s.per_level =
      levelDistances(calibration.fit, s.features, calibration.levels, calibration.per_level);
  return s;
}

double percentileOf(const Calibration& calibration, double score) {
  const auto q = calibration.quantiles.contiguous();
  const double* v = q.data_ptr<double>();
  const int64_t n = q.numel();
  if (score < v[0]) return 0.0;
  if (score >= v[n - 1]) return 100.0;
  const int64_t k = std::upper_bound(v, v + n, score) - v;  // v[k−1] ≤ score < v[k]
  const double span = v[k] - v[k - 1];
  const double t = span > 0 ? (score - v[k - 1]) / span : 1.0;
  return 100.0 * (k - 1 + t) / (n - 1);
}

}  // namespace cdrl
