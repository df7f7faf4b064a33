#include "data/dataset.h"

namespace cdrl {

std::vector<int64_t> Dataset::exampleShape() const {
  auto sizes = data.sizes().vec();
  return {sizes.begin() + 1, sizes.end()};
}

}  // namespace cdrl
