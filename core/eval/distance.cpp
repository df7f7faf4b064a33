#include "eval/distance.h"

namespace cdrl {

namespace {
double meanPairDistance(const torch::Tensor& a, const torch::Tensor& b) {
  return torch::cdist(a, b).mean().item<double>();
}
}  // namespace

double energyDistance(const torch::Tensor& x, const torch::Tensor& y) {
  torch::NoGradGuard no_grad;
  const auto X = x.detach().to(torch::kCPU, torch::kDouble).flatten(1);
  const auto Y = y.detach().to(torch::kCPU, torch::kDouble).flatten(1);
  return 2 * meanPairDistance(X, Y) - meanPairDistance(X, X) - meanPairDistance(Y, Y);
}

}  // namespace cdrl
