// "shapes": an offline, procedural attribute data set (CelebA's role in composition, without the
// download). Each 32x32 RGB image shows one filled shape whose five binary attributes are drawn
// independently with p = 0.5, so every attribute value is a concept (ALGORITHM.md §7), and an
// exact detector reads the attributes back from the pixels to score generated samples.
#pragma once

#include <torch/torch.h>

#include <opencv2/core.hpp>

#include <cstdint>
#include <random>
#include <string>
#include <vector>

#include "data/dataset.h"

namespace cdrl {

// Attribute columns, in order; value 1 means the name holds, 0 the alternative.
enum class ShapeAttribute {
  Circle,         // circle (1) or square (0)
  Red,            // red (1) or blue (0) shape
  Large,          // large (1, 15 px across) or small (0, 9 px across)
  Left,           // in the left (1) or right (0) half
  DarkBackground  // dark (1) or light (0) grey background
};
constexpr int64_t kShapeAttributeCount = 5;
constexpr int64_t kShapeSide = 32;

// {"circle", "red", "large", "left", "dark_background"}, in ShapeAttribute order.
const std::vector<std::string>& shapeAttributeNames();

// One image as CV_8UC3 in OpenCV's BGR order. `attributes` holds kShapeAttributeCount values of
// 0 or 1 (else std::invalid_argument). Exactly two numbers are taken from `rng` (the position
// jitter: centre x within +-2 px of the middle of its half, y within +-4 px of the middle row),
// whatever the attributes, so two generators seeded alike stay in step across different
// attributes. Shapes are drawn without anti-aliasing, always clear of the image border.
cv::Mat drawShape(const std::vector<int>& attributes, std::mt19937_64& rng);

// drawShape for each row of `attributes` (int64 [N, 5] of 0/1): float32 [N, 3, 32, 32], RGB,
// in [-1, 1] (x / 127.5 - 1).
torch::Tensor drawShapes(const torch::Tensor& attributes, std::mt19937_64& rng);

// n images from std::mt19937_64(seed): first the n x 5 attribute bits (the top bit of one draw
// each, row by row), then drawShapes(attributes, rng). Attributes int64 [n, 5], attribute_names,
// name "shapes", shift {0}, scale {1}, random_flip false (a flip would change "left").
Dataset makeShapesDataset(int64_t n, uint64_t seed);

// Reads the attributes back from images [N, 3, 32, 32] in [-1, 1] (int64 [N, 5] of 0/1); exact on
// drawShapes' output. Background: the mean of the four corner pixels, dark when its mean over
// channels is below 0. Shape mask: pixels whose largest channel difference from the background
// exceeds 0.3 (the shape colours differ from either background by >= 170/255 ≈ 1.33). Red: the
// mask's summed R - B is positive. Large: the mask's bounding box is wider or taller than 12 px
// (9 vs 15). Left: the mask's centroid column is below 15.5 (centres lie in 7..11 or 20..24).
// Circle: the mask fills less than 0.9 of its bounding box (OpenCV's raster discs: 49/81 ≈ 0.60
// small, 149/225 ≈ 0.66 large; squares 1.0). An image without a mask reads as all 0 apart from the
// background.
torch::Tensor detectShapeAttributes(const torch::Tensor& images);

}  // namespace cdrl
