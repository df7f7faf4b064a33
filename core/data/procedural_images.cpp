#include "data/procedural_images.h"

#include <opencv2/imgproc.hpp>

#include <stdexcept>

namespace cdrl {

torch::Tensor drawAttributeBits(int64_t n, int64_t count, std::mt19937_64& rng) {
  auto attributes = torch::empty({n, count}, torch::kLong);
  auto* values = attributes.data_ptr<int64_t>();
  for (int64_t i = 0; i < n * count; ++i) values[i] = static_cast<int64_t>(rng() >> 63);
  return attributes;
}

int jitter(std::mt19937_64& rng, int spread) {
  return static_cast<int>(rng() % static_cast<uint64_t>(2 * spread + 1)) - spread;
}

int pick(std::mt19937_64& rng, int count) {
  return static_cast<int>(rng() % static_cast<uint64_t>(count));
}

void checkAttributeBits(const std::vector<int>& attributes, int64_t count,
                        const std::string& what) {
  if (attributes.size() != static_cast<size_t>(count)) {
    throw std::invalid_argument(what + ": expected " + std::to_string(count) + " attributes, got " +
                                std::to_string(attributes.size()));
  }
  for (int v : attributes) {
    if (v != 0 && v != 1)
      throw std::invalid_argument(what + ": attributes must be 0 or 1, got " + std::to_string(v));
  }
}

torch::Tensor renderImages(const torch::Tensor& attributes, int64_t count, int64_t side,
                           const std::function<cv::Mat(const std::vector<int>&)>& draw,
                           const std::string& what) {
  if (attributes.dim() != 2 || attributes.size(1) != count) {
    throw std::invalid_argument(what + ": attributes must be [N, " + std::to_string(count) +
                                "], got " + c10::str(attributes.sizes()));
  }
  const auto a = attributes.to(torch::kCPU, torch::kLong).contiguous();
  const int64_t n = a.size(0);
  auto pixels = torch::empty({n, side, side, 3}, torch::kUInt8);  // NHWC, RGB
  const auto rows = a.accessor<int64_t, 2>();
  std::vector<int> values(count);
  for (int64_t i = 0; i < n; ++i) {
    for (int64_t k = 0; k < count; ++k) values[k] = static_cast<int>(rows[i][k]);
    const cv::Mat bgr = draw(values);
    cv::Mat rgb(static_cast<int>(side), static_cast<int>(side), CV_8UC3,
                pixels[i].data_ptr<uint8_t>());
    cv::cvtColor(bgr, rgb, cv::COLOR_BGR2RGB);  // writes into `pixels` (same size and type)
  }
  return pixels.permute({0, 3, 1, 2}).to(torch::kFloat).div_(127.5).sub_(1).contiguous();
}

Dataset attributeDataset(const std::string& name, torch::Tensor images, torch::Tensor attributes,
                         std::vector<std::string> names) {
  Dataset dataset;
  dataset.name = name;
  dataset.data = std::move(images);
  dataset.attributes = std::move(attributes);
  dataset.attribute_names = std::move(names);
  dataset.shift = {0};
  dataset.scale = {1};
  dataset.random_flip = false;
  return dataset;
}

}  // namespace cdrl
