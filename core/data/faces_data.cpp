#include "data/faces_data.h"

#include "data/procedural_images.h"

#include <opencv2/imgproc.hpp>

#include <array>
#include <stdexcept>

namespace cdrl {
namespace {

// Colours in OpenCV's BGR order. Each palette is a nuisance, drawn independently of attributes.
const std::array<cv::Scalar, 6> kBackgrounds = {
    cv::Scalar(225, 205, 170), cv::Scalar(175, 215, 180), cv::Scalar(170, 200, 230),
    cv::Scalar(215, 180, 205), cv::Scalar(200, 200, 200), cv::Scalar(150, 170, 120)};
const std::array<cv::Scalar, 5> kSkins = {cv::Scalar(190, 215, 250), cv::Scalar(160, 190, 235),
                                          cv::Scalar(120, 160, 215), cv::Scalar(85, 125, 180),
                                          cv::Scalar(60, 90, 140)};
const std::array<cv::Scalar, 2> kDarkHair = {cv::Scalar(25, 25, 30), cv::Scalar(30, 55, 95)};
const std::array<cv::Scalar, 2> kBlondHair = {cv::Scalar(60, 200, 235), cv::Scalar(110, 225, 250)};
const std::array<cv::Scalar, 3> kHats = {cv::Scalar(50, 40, 200), cv::Scalar(170, 60, 30),
                                         cv::Scalar(60, 150, 40)};
const cv::Scalar kMouth(40, 30, 150);
const cv::Scalar kTeeth(245, 245, 245);
const cv::Scalar kEye(30, 20, 20);
const cv::Scalar kFrame(15, 15, 15);
const cv::Scalar kGreyBrow(185, 185, 185);
constexpr int kCentreX = 16;
constexpr int kCentreY = 17;
constexpr int kJitterX = 2;
constexpr int kJitterY = 1;
constexpr int kBackgroundShade = 10;  // ± per channel, so backgrounds are not only six colours

bool has(const std::vector<int>& attributes, FaceAttribute a) {
  return attributes[static_cast<size_t>(a)] == 1;
}

cv::Scalar darker(const cv::Scalar& colour, double factor) {
  return cv::Scalar(colour[0] * factor, colour[1] * factor, colour[2] * factor);
}

void box(cv::Mat& image, int x0, int y0, int x1, int y1, const cv::Scalar& colour) {
  cv::rectangle(image, cv::Point(x0, y0), cv::Point(x1, y1), colour, cv::FILLED, cv::LINE_8);
}

}  // namespace

const std::vector<std::string>& faceAttributeNames() {
  static const std::vector<std::string> names = {"Male",       "Smiling",     "Young",
                                                 "Eyeglasses", "Wearing_Hat", "Blond_Hair"};
  return names;
}

cv::Mat drawFace(const std::vector<int>& attributes, std::mt19937_64& rng) {
  checkAttributeBits(attributes, kFaceAttributeCount, "drawFace");
  // The nuisances: always the same seven draws.
  const int x = kCentreX + jitter(rng, kJitterX);
  const int y = kCentreY + jitter(rng, kJitterY);
  const cv::Scalar background = kBackgrounds[pick(rng, kBackgrounds.size())];
  const cv::Scalar skin = kSkins[pick(rng, kSkins.size())];
  const int shade = pick(rng, 2);
  const cv::Scalar hat = kHats[pick(rng, kHats.size())];
  const int tint = jitter(rng, kBackgroundShade);
  const cv::Scalar hair =
      has(attributes, FaceAttribute::BlondHair) ? kBlondHair[shade] : kDarkHair[shade];
  const bool male = has(attributes, FaceAttribute::Male);

  const int side = static_cast<int>(kFaceSide);
  cv::Mat image(side, side, CV_8UC3, background + cv::Scalar(tint, tint, tint));
  // Hair behind the head: long to the shoulders, or a short cap.
  if (!male) box(image, x - 9, y - 8, x + 9, y + 10, hair);
  cv::ellipse(image, cv::Point(x, y - 3), cv::Size(8, 8), 0, 0, 360, hair, cv::FILLED, cv::LINE_8);
  // Face, then the fringe over its forehead.
  cv::ellipse(image, cv::Point(x, y + 1), cv::Size(7, 8), 0, 0, 360, skin, cv::FILLED, cv::LINE_8);
  box(image, x - 6, y - 7, x + 6, y - 5, hair);
  // Eyebrows: thick for Male, grey when not Young.
  const cv::Scalar brow = has(attributes, FaceAttribute::Young) ? darker(hair, 0.7) : kGreyBrow;
  const int brow_bottom = y - 3;
  const int brow_top = male ? y - 4 : y - 3;
  box(image, x - 5, brow_top, x - 2, brow_bottom, brow);
  box(image, x + 2, brow_top, x + 5, brow_bottom, brow);
  // Eyes.
  box(image, x - 4, y - 1, x - 3, y, kEye);
  box(image, x + 3, y - 1, x + 4, y, kEye);
  if (!has(attributes, FaceAttribute::Young)) {
    // Eye bags and cheek lines.
    const cv::Scalar line = darker(skin, 0.6);
    box(image, x - 4, y + 2, x - 3, y + 2, line);
    box(image, x + 3, y + 2, x + 4, y + 2, line);
    cv::line(image, cv::Point(x - 3, y + 3), cv::Point(x - 5, y + 6), line, 1, cv::LINE_8);
    cv::line(image, cv::Point(x + 3, y + 3), cv::Point(x + 5, y + 6), line, 1, cv::LINE_8);
  }
  if (has(attributes, FaceAttribute::Eyeglasses)) {
    cv::rectangle(image, cv::Point(x - 6, y - 2), cv::Point(x - 1, y + 1), kFrame, 1, cv::LINE_8);
    cv::rectangle(image, cv::Point(x + 1, y - 2), cv::Point(x + 6, y + 1), kFrame, 1, cv::LINE_8);
    box(image, x - 1, y - 1, x + 1, y - 1, kFrame);
  }
  // Mouth: a wide open smile or a short closed line.
  if (has(attributes, FaceAttribute::Smiling)) {
    cv::ellipse(image, cv::Point(x, y + 4), cv::Size(4, 3), 0, 0, 180, kMouth, cv::FILLED,
                cv::LINE_8);
    box(image, x - 3, y + 4, x + 3, y + 4, kTeeth);
  } else {
    box(image, x - 2, y + 5, x + 2, y + 5, kMouth);
  }
  if (has(attributes, FaceAttribute::WearingHat)) {
    box(image, x - 10, y - 9, x + 10, y - 8, hat);                // brim
    box(image, x - 6, y - 15, x + 6, y - 10, hat);                // crown
    box(image, x - 6, y - 11, x + 6, y - 10, darker(hat, 0.55));  // band
  }
  return image;
}

torch::Tensor drawFaces(const torch::Tensor& attributes, std::mt19937_64& rng) {
  return renderImages(
      attributes, kFaceAttributeCount, kFaceSide,
      [&](const std::vector<int>& values) { return drawFace(values, rng); }, "drawFaces");
}

Dataset makeFacesDataset(int64_t n, uint64_t seed) {
  if (n < 0) throw std::invalid_argument("makeFacesDataset: n must be >= 0");
  std::mt19937_64 rng(seed);
  // Attributes first, each the top bit of its own draw, then the nuisances.
  const auto attributes = drawAttributeBits(n, kFaceAttributeCount, rng);
  auto images = drawFaces(attributes, rng);
  return attributeDataset("faces", std::move(images), attributes, faceAttributeNames());
}

}  // namespace cdrl
