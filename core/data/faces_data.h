// "faces": an offline, procedural stand-in for CelebA. Each 32×32 RGB image is a cartoon face
// whose six binary attributes carry CelebA's own names (the three the paper composes, Male,
// Smiling and Young, and three more that read clearly at this size); each is drawn independently
// with p = 1/2, so every attribute value is a concept (ALGORITHM.md §7). Position, skin tone,
// hair shade, hat colour and background vary as nuisances, independently of the attributes.
#pragma once

#include <torch/torch.h>

#include <opencv2/core.hpp>

#include <cstdint>
#include <random>
#include <string>
#include <vector>

#include "data/dataset.h"

namespace cdrl {

// Attribute columns, in order; value 1 means the attribute holds.
enum class FaceAttribute {
  Male,        // short hair, thick eyebrows (0: long hair to the shoulders, thin eyebrows)
  Smiling,     // a wide open smile (0: a short closed mouth)
  Young,       // smooth face (0: cheek lines, eye bags and grey eyebrows)
  Eyeglasses,  // dark frames around both eyes
  WearingHat,  // a hat with a brim over the top of the head
  BlondHair    // yellow hair (0: black or brown)
};
constexpr int64_t kFaceAttributeCount = 6;
constexpr int64_t kFaceSide = 32;

// {"Male", "Smiling", "Young", "Eyeglasses", "Wearing_Hat", "Blond_Hair"}: CelebA's column names,
// in FaceAttribute order.
const std::vector<std::string>& faceAttributeNames();

// One face as CV_8UC3 in OpenCV's BGR order. `attributes` holds kFaceAttributeCount values of 0 or
// 1 (else std::invalid_argument). Exactly seven numbers are taken from `rng` (position x and y,
// background, skin, hair shade, hat colour, background shade), whatever the attributes, so two
// generators seeded alike stay in step across different attributes.
cv::Mat drawFace(const std::vector<int>& attributes, std::mt19937_64& rng);

// drawFace for each row of `attributes` (int64 [N, 6] of 0/1): float32 [N, 3, 32, 32], RGB, in
// [−1, 1].
torch::Tensor drawFaces(const torch::Tensor& attributes, std::mt19937_64& rng);

// n faces from std::mt19937_64(seed): first the n × 6 attribute bits (the top bit of one draw each,
// row by row), then drawFaces(attributes, rng). Attributes int64 [n, 6], attribute_names, name
// "faces", shift {0}, scale {1}, random_flip false (a cartoon face is symmetric, so a flip would
// only repeat images).
Dataset makeFacesDataset(int64_t n, uint64_t seed);

}  // namespace cdrl
