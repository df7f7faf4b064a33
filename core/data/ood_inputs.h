// What a user hands in for OOD scoring — image files, folders of them, or a data-set
// specification — brought to a model's data shape, one item per image, with what was done to each
// (conversion note) and, for files that cannot be read, why.
#pragma once

#include "io/model_config.h"

#include <torch/torch.h>

#include <string>
#include <vector>

namespace cdrl {

struct OodItem {
  std::string name;   // file path, or "<data set>#<row>"
  std::string note;   // conversion done ("converted 3→1 channels, resized …"), or ""
  std::string error;  // why it could not be read, or "" when it was
  int64_t row = -1;   // its row in OodInputs::x, −1 when unreadable
};

struct OodInputs {
  std::vector<OodItem> items;
  torch::Tensor x;  // [readable items, ...data shape], in [−1, 1]

  std::vector<std::string> unreadable() const;  // "<name>: <reason>" per unreadable item
};

// Each of `inputs` is an image file, a folder (searched recursively, files with image extensions
// only) or a data-set specification (data_source.h); at most `limit` images from each folder or
// data set. Unreadable files become items with an error, never an exception; a missing path or a
// bad specification throws std::runtime_error naming it.
// `seed` draws generated data sets (toy, shapes, faces).
OodInputs loadOodInputs(const std::vector<std::string>& inputs, const ModelConfig& config,
                        int64_t limit = 10000, uint64_t seed = 0);

}  // namespace cdrl
