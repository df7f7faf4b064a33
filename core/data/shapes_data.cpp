#include "data/shapes_data.h"

#include "data/procedural_images.h"

#include <opencv2/imgproc.hpp>

#include <stdexcept>

namespace cdrl {
namespace {

// Colours in OpenCV's BGR order.
const cv::Scalar kRed(40, 40, 210);
const cv::Scalar kBlue(210, 40, 40);
const cv::Scalar kDark(40, 40, 40);
const cv::Scalar kLight(215, 215, 215);
constexpr int kSmallRadius = 4;  // 9 px across
constexpr int kLargeRadius = 7;  // 15 px across
constexpr int kLeftCentreX = 9;  // the right half mirrors it: 31 - 9 = 22
constexpr int kCentreY = 16;
constexpr int kJitterX = 2;  // centre x in 7..11 or 20..24: a large shape stays inside the image
constexpr int kJitterY = 4;  // centre y in 12..20: rows 0 and 31, so the corners, stay background

// Detector thresholds (see the header).
constexpr double kMaskThreshold = 0.3;
constexpr int64_t kLargeExtent = 12;
constexpr double kCircleFill = 0.9;
constexpr double kLeftCentroid = 15.5;

bool has(const std::vector<int>& attributes, ShapeAttribute a) {
  return attributes[static_cast<size_t>(a)] == 1;
}

// First-to-last occupied index + 1 along each row of `occupied` [N, L] (0 when none).
torch::Tensor extent(const torch::Tensor& occupied) {
  const int64_t length = occupied.size(1);
  const auto index = torch::arange(length, torch::kLong).expand_as(occupied);
  const auto first = torch::where(occupied, index, torch::full_like(index, length)).amin(1);
  const auto last = torch::where(occupied, index, torch::full_like(index, -1)).amax(1);
  return (last - first + 1).clamp_min(0);
}

}  // namespace

const std::vector<std::string>& shapeAttributeNames() {
  static const std::vector<std::string> names = {"circle", "red", "large", "left",
                                                 "dark_background"};
  return names;
}

cv::Mat drawShape(const std::vector<int>& attributes, std::mt19937_64& rng) {
  checkAttributeBits(attributes, kShapeAttributeCount, "drawShape");
  const int dx = jitter(rng, kJitterX);
  const int dy = jitter(rng, kJitterY);
  const int side = static_cast<int>(kShapeSide);
  const cv::Scalar background = has(attributes, ShapeAttribute::DarkBackground) ? kDark : kLight;
  cv::Mat image(side, side, CV_8UC3, background);
  const int r = has(attributes, ShapeAttribute::Large) ? kLargeRadius : kSmallRadius;
  const int x =
      has(attributes, ShapeAttribute::Left) ? kLeftCentreX + dx : side - 1 - kLeftCentreX + dx;
  const cv::Point centre(x, kCentreY + dy);
  const cv::Scalar colour = has(attributes, ShapeAttribute::Red) ? kRed : kBlue;
  // Draw the shape (filled, no anti-aliasing, so the detector's mask is exact).
  if (has(attributes, ShapeAttribute::Circle)) {
    cv::circle(image, centre, r, colour, cv::FILLED, cv::LINE_8);
  } else {
    cv::rectangle(image, centre - cv::Point(r, r), centre + cv::Point(r, r), colour, cv::FILLED,
                  cv::LINE_8);
  }
  return image;
}

torch::Tensor drawShapes(const torch::Tensor& attributes, std::mt19937_64& rng) {
  return renderImages(
      attributes, kShapeAttributeCount, kShapeSide,
      [&](const std::vector<int>& values) { return drawShape(values, rng); }, "drawShapes");
}

Dataset makeShapesDataset(int64_t n, uint64_t seed) {
  if (n < 0) throw std::invalid_argument("makeShapesDataset: n must be >= 0");
  std::mt19937_64 rng(seed);
  // Attributes first, each the top bit of its own draw, then the images' jitter.
  const auto attributes = drawAttributeBits(n, kShapeAttributeCount, rng);
  auto images = drawShapes(attributes, rng);
  return attributeDataset("shapes", std::move(images), attributes, shapeAttributeNames());
}

torch::Tensor detectShapeAttributes(const torch::Tensor& images) {
  if (images.dim() != 4 || images.size(1) != 3) {
    throw std::invalid_argument("detectShapeAttributes: images must be [N, 3, H, W], got " +
                                c10::str(images.sizes()));
  }
  torch::NoGradGuard no_grad;
  const auto x = images.detach().to(torch::kCPU, torch::kFloat);
  const int64_t n = x.size(0);
  const int64_t h = x.size(2);
  const int64_t w = x.size(3);
  // Background colour from the corners, which no shape reaches.
  const auto top = x.select(2, 0);
  const auto bottom = x.select(2, h - 1);
  const auto background = torch::stack({top.select(2, 0), top.select(2, w - 1), bottom.select(2, 0),
                                        bottom.select(2, w - 1)})
                              .mean(0);  // [N, 3]
  const auto dark = background.mean(1).lt(0);
  // Shape mask and its statistics.
  const auto mask = (x - background.view({n, 3, 1, 1})).abs().amax(1).gt(kMaskThreshold);
  const auto m = mask.to(torch::kFloat);  // [N, H, W]
  const auto area = m.sum({1, 2});
  const auto red = ((x.select(1, 0) - x.select(1, 2)) * m).sum({1, 2}).gt(0);
  const auto columns = torch::arange(w, torch::kFloat);
  const auto centroid_x = (m.sum(1) * columns).sum(1) / area.clamp_min(1);
  const auto left = centroid_x.lt(kLeftCentroid) & area.gt(0);
  const auto width = extent(mask.any(1));
  const auto height = extent(mask.any(2));
  const auto large = torch::maximum(width, height).gt(kLargeExtent);
  const auto fill = area / (width * height).to(torch::kFloat).clamp_min(1);
  const auto circle = fill.lt(kCircleFill) & area.gt(0);
  return torch::stack({circle, red, large, left, dark}, 1).to(torch::kLong);
}

}  // namespace cdrl
