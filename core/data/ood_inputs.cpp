#include "data/ood_inputs.h"

#include "data/data_source.h"
#include "data/image_folder.h"

#include <filesystem>

namespace cdrl {

std::vector<std::string> OodInputs::unreadable() const {
  std::vector<std::string> out;
  for (const auto& item : items)
    if (!item.error.empty()) out.push_back(item.name + ": " + item.error);
  return out;
}

OodInputs loadOodInputs(const std::vector<std::string>& inputs, const ModelConfig& config,
                        int64_t limit) {
  namespace fs = std::filesystem;
  ImageLoadOptions image;
  image.random_flip = false;
  if (config.isImage()) {
    image.channels = static_cast<int>(config.data_shape[0]);
    image.size = config.data_shape[1];
  }
  OodInputs out;
  std::vector<torch::Tensor> rows;
  auto addFile = [&](const std::string& path) {
    OodItem item{path, {}, {}, -1};
    try {
      rows.push_back(loadImage(path, image, &item.note));
      item.row = static_cast<int64_t>(rows.size()) - 1;
    } catch (const std::exception& e) {
      item.error = e.what();
    }
    out.items.push_back(std::move(item));
  };
  for (const auto& what : inputs) {
    if (!fs::exists(what) && hasImageExtension(what))
      throw std::runtime_error(what + ": no such file");
    if (fs::is_regular_file(what) && hasImageExtension(what)) {
      addFile(what);
    } else if (fs::is_directory(what)) {
      const auto files = listImageFiles(what);
      for (size_t k = 0; k < files.size() && static_cast<int64_t>(k) < limit; ++k)
        addFile(files[k]);
    } else {
      if (fs::is_regular_file(what))
        throw std::runtime_error(what + " is not an image file (" +
                                 std::to_string(imageExtensions().size()) +
                                 " image extensions are read, e.g. .png, .jpg)");
      const Dataset data = loadDataset(what, 0, image);
      const int64_t n = std::min(limit, data.size());
      for (int64_t k = 0; k < n; ++k) {
        rows.push_back(data.data[k]);
        out.items.push_back(
            {data.name + "#" + std::to_string(k), {}, {}, static_cast<int64_t>(rows.size()) - 1});
      }
    }
  }
  if (!rows.empty())
    out.x = torch::stack(rows);
  else
    out.x = torch::empty([&] {
      std::vector<int64_t> shape{0};
      shape.insert(shape.end(), config.data_shape.begin(), config.data_shape.end());
      return shape;
    }());
  return out;
}

}  // namespace cdrl
