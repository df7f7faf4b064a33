// Standard FID features from a user-supplied TorchScript Inception-v3 (the weights cannot be
// fetched offline). Contract: the module maps float [N, 3, 299, 299] RGB in [0, 1] to pool
// features [N, 2048] (or [N, 2048, 1, 1]) — e.g. pytorch-fid's InceptionV3([3]) saved with
// torch.jit.trace.
#pragma once

#include <torch/script.h>

#include <string>

namespace cdrl {

class InceptionFeatures {
 public:
  // Throws std::runtime_error naming the file when it is not a loadable TorchScript module.
  InceptionFeatures(const std::string& path, torch::Device device);

  // Images [N, C, H, W] in [−1, 1] (C = 1 or 3): grey repeated to RGB, bilinearly resized to
  // 299×299, mapped to [0, 1], then the module, in batches; CPU double [N, D].
  torch::Tensor operator()(const torch::Tensor& images, int64_t batch = 50);

 private:
  torch::jit::script::Module m_module;
  torch::Device m_device;
};

}  // namespace cdrl
