#include "eval/ood.h"

#include <cmath>
#include <stdexcept>

namespace cdrl {

std::string toString(OodScoreKind score) {
  switch (score) {
    case OodScoreKind::Typicality:
      return "typicality";
    case OodScoreKind::Energy:
      return "energy";
    case OodScoreKind::Nearest:
      return "nearest";
  }
  return "typicality";
}

OodScoreKind oodScoreKindFromString(const std::string& name) {
  if (name == "typicality") return OodScoreKind::Typicality;
  if (name == "energy") return OodScoreKind::Energy;
  if (name == "nearest") return OodScoreKind::Nearest;
  throw std::invalid_argument("unknown OOD score '" + name +
                              "' (expected typicality, energy or nearest)");
}

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

torch::Tensor nearestNeighbourScores(const torch::Tensor& training, const torch::Tensor& x,
                                     int64_t batch) {
  if (x.dim() < 2 || training.dim() != x.dim() || training.sizes().slice(1) != x.sizes().slice(1))
    throw std::invalid_argument(
        "nearest-neighbour scores: inputs and training data differ in shape");
  torch::NoGradGuard no_grad;
  const auto t = training.flatten(1).to(torch::kFloat);
  const auto t_sq = t.square().sum(1);
  std::vector<torch::Tensor> scores;
  for (int64_t start = 0; start < x.size(0); start += batch) {
    const auto q = x.slice(0, start, start + batch).flatten(1).to(torch::kFloat);
    // ‖q − t‖² = ‖q‖² − 2·q·t + ‖t‖², the cross term one matrix product.
    const auto d2 = (q.square().sum(1, true) - 2 * q.matmul(t.t()) + t_sq).clamp_min(0);
    scores.push_back(-std::get<0>(d2.min(1)).sqrt());
  }
  return torch::cat(scores).to(torch::kDouble);
}

}  // namespace cdrl
