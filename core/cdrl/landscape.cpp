#include "cdrl/landscape.h"

#include "cdrl/langevin.h"

#include <stdexcept>

namespace cdrl {

void LandscapeOptions::validate(const ModelConfig& config) const {
  if (config.isImage())
    throw std::invalid_argument("landscape: needs a 2-D model; this one models images");
  if (resolution < 2) throw std::invalid_argument("landscape: resolution must be at least 2");
  if (!(extent > 0)) throw std::invalid_argument("landscape: extent must be positive");
  condition.validate(config.num_classes);
}

namespace {

std::vector<float> toVector(const torch::Tensor& t) {
  const auto c = t.detach().to(torch::kCPU, torch::kFloat).contiguous();
  return {c.data_ptr<float>(), c.data_ptr<float>() + c.numel()};
}

}  // namespace

Landscape energyLandscape(Model& model, const LandscapeOptions& options,
                          const std::atomic<bool>* cancel) {
  options.validate(model.config());
  const int n = options.resolution;
  const auto device = model.device();
  const auto axis = torch::linspace(-options.extent, options.extent, n,
                                    torch::TensorOptions(device).dtype(torch::kFloat));
  // Row r holds y = axis[r], column c holds x = axis[c]: meshgrid's "ij" order over (y, x).
  const auto mesh = torch::meshgrid({axis, axis}, "ij");
  const auto points = torch::stack({mesh[1].reshape(-1), mesh[0].reshape(-1)}, 1);

  NetworkPair nets = model.networks(options.use_ema);
  nets.ebm.eval();
  Landscape out;
  out.resolution = n;
  out.extent = options.extent;
  const Schedule& schedule = model.schedule();
  for (int i = 1; i <= schedule.T(); ++i) {
    if (cancel && cancel->load()) break;
    // §6: level i refines with the energy of λ_{i−1}, as the sampler does.
    const auto lambda = torch::full({points.size(0)}, schedule.level(i - 1).lambda,
                                    torch::TensorOptions(device).dtype(torch::kFloat));
    GuidedEnergy F(nets.ebm, options.condition, lambda);
    auto [energy, grad] = energyAndGradient(std::ref(F), points);
    out.levels.push_back(
        {i, toVector(energy), toVector(grad.select(1, 0)), toVector(grad.select(1, 1))});
  }
  return out;
}

}  // namespace cdrl
