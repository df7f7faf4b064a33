#include "eval/inception.h"

#include <stdexcept>

namespace cdrl {

InceptionFeatures::InceptionFeatures(const std::string& path, torch::Device device)
    : m_device(device) {
  try {
    m_module = torch::jit::load(path, device);
  } catch (const c10::Error& e) {
    throw std::runtime_error("inception " + path +
                             ": not a loadable TorchScript module: " + e.what_without_backtrace());
  }
  m_module.eval();
}

torch::Tensor InceptionFeatures::operator()(const torch::Tensor& images, int64_t batch) {
  if (images.dim() != 4 || (images.size(1) != 1 && images.size(1) != 3))
    throw std::invalid_argument("inception features need images [N, 1 or 3, H, W]");
  torch::NoGradGuard no_grad;
  std::vector<torch::Tensor> parts;
  for (int64_t k = 0; k < images.size(0); k += batch) {
    auto x = images.slice(0, k, std::min(images.size(0), k + batch)).to(m_device, torch::kFloat);
    if (x.size(1) == 1) x = x.repeat({1, 3, 1, 1});
    x = torch::nn::functional::interpolate(x, torch::nn::functional::InterpolateFuncOptions()
                                                  .size(std::vector<int64_t>{299, 299})
                                                  .mode(torch::kBilinear)
                                                  .align_corners(false));
    const auto out = m_module.forward({(x + 1) / 2}).toTensor();
    parts.push_back(out.flatten(1).to(torch::kCPU, torch::kDouble));
  }
  return torch::cat(parts);
}

}  // namespace cdrl
