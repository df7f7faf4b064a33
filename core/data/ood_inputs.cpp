#include "data/ood_inputs.h"

#include "data/data_source.h"
#include "data/image_folder.h"

#include <filesystem>

namespace cdrl {

namespace {

// Images [N, C, H, W] of a data set brought to `channels` × size × size as files are (grey by
// ITU-R BT.601 luma, as OpenCV converts; bilinear resizing), with the note of what was done.
torch::Tensor conformImages(torch::Tensor x, int channels, int64_t size, std::string* note) {
  std::string done;
  if (x.size(1) != channels) {
    done = "converted " + std::to_string(x.size(1)) + "→" + std::to_string(channels) + " channels";
    if (channels == 1 && x.size(1) == 3) {
      const auto luma = torch::tensor({0.299f, 0.587f, 0.114f}).view({1, 3, 1, 1});
      x = (x * luma).sum(1, /*keepdim=*/true);
    } else if (channels == 3 && x.size(1) == 1) {
      x = x.repeat({1, 3, 1, 1});
    } else {
      throw std::runtime_error("cannot convert " + std::to_string(x.size(1)) + " channels to " +
                               std::to_string(channels));
    }
  }
  if (x.size(2) != size || x.size(3) != size) {
    if (!done.empty()) done += ", ";
    done += "resized " + std::to_string(x.size(3)) + "×" + std::to_string(x.size(2)) + "→" +
            std::to_string(size) + "×" + std::to_string(size);
    namespace F = torch::nn::functional;
    x = F::interpolate(x, F::InterpolateFuncOptions()
                              .size(std::vector<int64_t>{size, size})
                              .mode(torch::kBilinear)
                              .align_corners(false));
  }
  *note = done;
  return x.clamp(-1, 1).contiguous();
}

}  // namespace

std::vector<std::string> OodInputs::unreadable() const {
  std::vector<std::string> out;
  for (const auto& item : items)
    if (!item.error.empty())  // a reader's error usually names the file already
      out.push_back(item.error.rfind(item.name, 0) == 0 ? item.error
                                                        : item.name + ": " + item.error);
  return out;
}

OodInputs loadOodInputs(const std::vector<std::string>& inputs, const ModelConfig& config,
                        int64_t limit, uint64_t seed) {
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
      const Dataset data = loadDataset(what, seed, image);
      const int64_t n = std::min(limit, data.size());
      torch::Tensor x = data.data.slice(0, 0, n);
      std::string note;
      if (config.isImage() && x.dim() == 4) x = conformImages(x, image.channels, image.size, &note);
      for (int64_t k = 0; k < n; ++k) {
        rows.push_back(x[k]);
        out.items.push_back(
            {data.name + "#" + std::to_string(k), note, {}, static_cast<int64_t>(rows.size()) - 1});
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
