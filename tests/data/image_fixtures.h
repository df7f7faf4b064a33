// Image data fixtures written in the real layouts: mixed folders, CIFAR-10 binary batches, CelebA.
#pragma once
#include <opencv2/imgcodecs.hpp>
#include <opencv2/imgproc.hpp>

#include <QtTest>

#include <filesystem>
#include <fstream>
#include <functional>
#include <string>
#include <vector>

#include "data/celeba.h"
#include "data/cifar10.h"
#include "data/image_folder.h"
#include "data/image_header.h"
#include "test_support.h"

using namespace cdrl;
namespace fs = std::filesystem;

namespace fixtures {

constexpr float kTolerance = 1e-5f;
constexpr float kJpegTolerance = 4 / 127.5f;  // a flat colour survives JPEG within a few levels

using cdrl::test::contains;
using cdrl::test::errorOf;

void writeBytes(const std::string& path, const std::string& bytes) {
  fs::create_directories(fs::path(path).parent_path());
  std::ofstream(path, std::ios::binary) << bytes;
}

void writeImage(const std::string& path, const cv::Mat& image) {
  fs::create_directories(fs::path(path).parent_path());
  QVERIFY2(cv::imwrite(path, image), path.c_str());
}

float scaled(double byte) { return static_cast<float>(byte / 127.5 - 1); }

// Largest |image[c] - value_c| over the pixels of one [C, H, W] image.
float distanceTo(const torch::Tensor& image, const std::vector<float>& rgb) {
  const auto expected = torch::tensor(rgb).view({-1, 1, 1});
  return (image - expected).abs().max().item<float>();
}

// The plain-folder fixture; sorted, its images are (0) bands.png, (1) deep.png, (2) gray.png,
// (3) rgb.jpg, (4) rgba.png, (5) sub/Upper.PNG; corrupt.png is skipped, notes.txt ignored.
std::string writeMixedFolder() {
  const auto dir = test::tempDir("image-folder-mixed");
  // 96x32, red | green | blue thirds (BGR): the centre crop is exactly the green third.
  cv::Mat bands(32, 96, CV_8UC3, cv::Scalar(0, 0, 255));
  bands(cv::Rect(32, 0, 32, 32)).setTo(cv::Scalar(0, 255, 0));
  bands(cv::Rect(64, 0, 32, 32)).setTo(cv::Scalar(255, 0, 0));
  writeImage(dir + "/bands.png", bands);
  // 16-bit colour, 50x30, full scale in R only.
  writeImage(dir + "/deep.png", cv::Mat(30, 50, CV_16UC3, cv::Scalar(0, 32896, 65535)));
  // Grey, 40x60, black.
  writeImage(dir + "/gray.png", cv::Mat(60, 40, CV_8UC1, cv::Scalar(0)));
  // Colour JPEG 64x48, RGB (200, 100, 50).
  writeImage(dir + "/rgb.jpg", cv::Mat(48, 64, CV_8UC3, cv::Scalar(50, 100, 200)));
  // RGBA 20x20, transparent red: alpha is dropped, the image is enlarged.
  writeImage(dir + "/rgba.png", cv::Mat(20, 20, CV_8UC4, cv::Scalar(0, 0, 255, 0)));
  // 64x128 in a subfolder, upper-case extension: white top quarter, coloured middle half, black
  // bottom quarter; halved to 32x64 then centre-cropped, only the middle colour is left.
  cv::Mat tall(128, 64, CV_8UC3, cv::Scalar(255, 255, 255));
  tall(cv::Rect(0, 32, 64, 64)).setTo(cv::Scalar(30, 60, 90));
  tall(cv::Rect(0, 96, 64, 32)).setTo(cv::Scalar(0, 0, 0));
  writeImage(dir + "/sub/Upper.PNG", tall);
  writeBytes(dir + "/corrupt.png", "this is not a PNG file");
  writeBytes(dir + "/notes.txt", "not an image");
  writeBytes(dir + "/.hidden.png", "hidden files are never data");
  return dir;
}

// CIFAR-10 record `j` of batch `k` (1..5, 6 for the test batch): label (2k + j) % 10, byte at
// plane c, row y, column x = (50c + 3y + x + 7k + j) % 256, except batch 1 record 0 whose planes
// are R = 255, G = 0, B = 128.
uint8_t cifarLabel(int k, int j) { return static_cast<uint8_t>((2 * k + j) % 10); }
uint8_t cifarByte(int k, int j, int c, int y, int x) {
  if (k == 1 && j == 0) return c == 0 ? 255 : c == 1 ? 0 : 128;
  return static_cast<uint8_t>((50 * c + 3 * y + x + 7 * k + j) % 256);
}
std::string cifarBatch(int k, int records) {
  std::string bytes;
  for (int j = 0; j < records; ++j) {
    bytes.push_back(static_cast<char>(cifarLabel(k, j)));
    for (int c = 0; c < 3; ++c) {
      for (int y = 0; y < 32; ++y) {
        for (int x = 0; x < 32; ++x) bytes.push_back(static_cast<char>(cifarByte(k, j, c, y, x)));
      }
    }
  }
  return bytes;
}
torch::Tensor cifarExpected(int k, int j) {
  auto image = torch::empty({3, 32, 32});
  for (int c = 0; c < 3; ++c) {
    for (int y = 0; y < 32; ++y) {
      for (int x = 0; x < 32; ++x) image[c][y][x] = scaled(cifarByte(k, j, c, y, x));
    }
  }
  return image;
}
void writeCifar(const std::string& dir) {
  for (int k = 1; k <= 5; ++k) {
    writeBytes(dir + "/data_batch_" + std::to_string(k) + ".bin", cifarBatch(k, 2));
  }
  writeBytes(dir + "/test_batch.bin", cifarBatch(6, 3));
}

// CelebA: images 000001..000006.jpg (000003.jpg missing), each flat RGB (40i, 100, 250 - 40i);
// attribute a of image i is 1 when (i + a) % 3 == 0, else -1; partition 1-3 train, 4 validation,
// 5-6 test.
constexpr int kCelebAttributes = 40;
std::string celebFile(int i) { return QString("%1.jpg").arg(i, 6, 10, QChar('0')).toStdString(); }
std::string celebAttrLine(int i) {
  std::string line = celebFile(i);
  for (int a = 0; a < kCelebAttributes; ++a) line += (i + a) % 3 == 0 ? "  1" : " -1";
  return line + "\n";
}
std::string writeCeleb(const QString& name) {
  const auto root = test::tempDir(name);
  for (int i = 1; i <= 6; ++i) {
    if (i == 3) continue;
    const cv::Mat face(24, 20, CV_8UC3, cv::Scalar(250 - 40 * i, 100, 40 * i));
    writeImage(root + "/img_align_celeba/" + celebFile(i), face);
  }
  std::string names;
  for (int a = 0; a < kCelebAttributes; ++a) names += "Attr_" + std::to_string(a) + " ";
  std::string attr = "6\n" + names + "\n";
  for (int i = 1; i <= 6; ++i) attr += celebAttrLine(i);
  writeBytes(root + "/list_attr_celeba.txt", attr);
  writeBytes(root + "/list_eval_partition.txt",
             "000001.jpg 0\n000002.jpg 0\n000003.jpg 0\n000004.jpg 1\n000005.jpg 2\r\n"
             "000006.jpg 2\n");
  return root;
}

}  // namespace fixtures
