// What the procedural attribute data sets (shapes, faces) share: independent balanced attribute
// bits, and a batch of OpenCV drawings turned into one image tensor.
#pragma once

#include <torch/torch.h>

#include <opencv2/core.hpp>

#include <cstdint>
#include <functional>
#include <random>
#include <string>
#include <vector>

#include "data/dataset.h"

namespace cdrl {

// n × count attribute bits of 0/1 (int64 [n, count]), each the top bit of its own draw from
// `rng`, row by row: independent, each value with probability 1/2.
torch::Tensor drawAttributeBits(int64_t n, int64_t count, std::mt19937_64& rng);

// Uniform in −spread…spread from one draw; the modulo bias (< 2^-60) is immaterial and, unlike
// std::uniform_int_distribution, the result is the same with every standard library.
int jitter(std::mt19937_64& rng, int spread);

// One of `count` choices from one draw, the same way.
int pick(std::mt19937_64& rng, int count);

// Checks one image's attribute values: `count` of them, each 0 or 1; else std::invalid_argument
// naming `what`.
void checkAttributeBits(const std::vector<int>& attributes, int64_t count, const std::string& what);

// draw(values of row i) for each row of `attributes` (int64 [N, count] of 0/1; else
// std::invalid_argument naming `what`), each a CV_8UC3 BGR image of side × side: float32
// [N, 3, side, side], RGB, in [−1, 1] (x / 127.5 − 1).
torch::Tensor renderImages(const torch::Tensor& attributes, int64_t count, int64_t side,
                           const std::function<cv::Mat(const std::vector<int>&)>& draw,
                           const std::string& what);

// A procedural attribute data set: `images` in [−1, 1] with `attributes` (int64 [n, A] of 0/1)
// named `names`; shift {0}, scale {1}, no flip augmentation.
Dataset attributeDataset(const std::string& name, torch::Tensor images, torch::Tensor attributes,
                         std::vector<std::string> names);

}  // namespace cdrl
