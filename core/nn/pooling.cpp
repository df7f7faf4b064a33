#include "nn/pooling.h"

namespace cdrl {

torch::Tensor meanPool2x(const torch::Tensor& x) {
  const int64_t channels = x.size(1);
  // A constant: autograd takes only the input gradient through it.
  const auto weight = torch::full({channels, 1, 2, 2}, 0.25, x.options().requires_grad(false));
  const std::vector<int64_t> stride = {2, 2}, padding = {0, 0}, dilation = {1, 1};
  return torch::conv2d(x, weight, /*bias=*/{}, stride, padding, dilation, channels);
}

}  // namespace cdrl
