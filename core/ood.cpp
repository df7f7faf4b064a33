#include "ood.h"

#include <cmath>
#include <stdexcept>

namespace cdrl {

torch::Tensor energyScores(Model& model, const torch::Tensor& x, const ScoreOptions& options) {
  if (x.dim() < 2 || x.sizes().slice(1).vec() != model.config().data_shape)
    throw std::invalid_argument("OOD scores: inputs do not have the model's data shape");
  torch::NoGradGuard no_grad;
  NetworkPair nets = model.networks(options.use_ema);
  nets.ebm.eval();
  const Schedule& schedule = model.schedule();
  const double sqrt_m1 = std::sqrt(schedule.level(1).m);
  std::vector<torch::Tensor> scores;
  for (int64_t start = 0; start < x.size(0); start += options.batch) {
    const auto chunk = x.slice(0, start, start + options.batch).to(model.device(), torch::kFloat);
    const int64_t n = chunk.size(0);
    const auto lambda = torch::full({n}, schedule.level(0).lambda, chunk.options());
    const auto label = torch::zeros({n}, torch::TensorOptions(model.device()).dtype(torch::kLong));
    // The level-1 EBM models y_0 = sqrt(m_1)·x_0 at λ_0 (§2, §6).
    scores.push_back(
        nets.ebm.energy(sqrt_m1 * chunk, nets.ebm.embed(lambda, label)).to(torch::kCPU));
  }
  return torch::cat(scores).to(torch::kDouble);
}

}  // namespace cdrl
