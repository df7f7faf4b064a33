#include "data/image_io.h"

#include "io/atomic_file.h"

#include <opencv2/imgcodecs.hpp>
#include <opencv2/imgproc.hpp>

#include <cmath>
#include <cstdio>
#include <filesystem>
#include <stdexcept>

namespace cdrl {
namespace {

constexpr uint8_t kPadValue = 255;
const cv::Scalar kBackground(255, 255, 255);
const cv::Scalar kReferenceColour(200, 200, 200);
const cv::Scalar kPointColour(180, 90, 20);  // BGR: a strong blue
const cv::Scalar kFrameColour(110, 110, 110);

void checkImages(const torch::Tensor& images, const char* caller) {
  if (!images.defined() || images.dim() != 4 || (images.size(1) != 1 && images.size(1) != 3)) {
    throw std::invalid_argument(std::string(caller) +
                                ": images must be [N, C, H, W] with C = 1 or 3" +
                                (images.defined() ? ", got " + c10::str(images.sizes()) : ""));
  }
}

// [N, C, H, W] in [-1, 1] -> uint8 [N, H, W, C], contiguous on the CPU.
torch::Tensor toBytes(const torch::Tensor& images) {
  return images.detach()
      .to(torch::kCPU, torch::kFloat)
      .clamp(-1, 1)
      .add(1)
      .mul(127.5)
      .round()
      .to(torch::kUInt8)
      .permute({0, 2, 3, 1})
      .contiguous();
}

// One image of toBytes' output as an OpenCV matrix in OpenCV's channel order.
cv::Mat tileOf(const torch::Tensor& bytes, int64_t i, int upscale) {
  const int h = static_cast<int>(bytes.size(1));
  const int w = static_cast<int>(bytes.size(2));
  const int c = static_cast<int>(bytes.size(3));
  cv::Mat view(h, w, CV_8UC(c), bytes[i].data_ptr<uint8_t>());
  cv::Mat tile;
  if (c == 3) {
    cv::cvtColor(view, tile, cv::COLOR_RGB2BGR);
  } else {
    tile = view.clone();
  }
  if (upscale > 1) cv::resize(tile, tile, {}, upscale, upscale, cv::INTER_NEAREST);
  return tile;
}

cv::Point toPixel(double x, double y, int size, double extent) {
  const double px = (x + extent) / (2 * extent) * (size - 1);
  const double py = (extent - y) / (2 * extent) * (size - 1);
  return {static_cast<int>(std::lround(px)), static_cast<int>(std::lround(py))};
}

void drawPoints(cv::Mat& canvas, const torch::Tensor& points, const cv::Scalar& colour, int radius,
                double extent) {
  if (!points.defined()) return;
  if (points.dim() != 2 || points.size(1) != 2) {
    throw std::invalid_argument("scatterPlot: points must be [N, 2], got " +
                                c10::str(points.sizes()));
  }
  const auto p = points.detach().to(torch::kCPU, torch::kDouble).contiguous();
  const auto a = p.accessor<double, 2>();
  for (int64_t i = 0; i < p.size(0); ++i) {
    const double x = a[i][0];
    const double y = a[i][1];
    // Also keeps the int conversion in toPixel from overflowing on far-away samples.
    if (!(std::abs(x) <= extent && std::abs(y) <= extent)) continue;
    cv::circle(canvas, toPixel(x, y, canvas.cols, extent), radius, colour, cv::FILLED, cv::LINE_8);
  }
}

}  // namespace

cv::Mat toImageGrid(const torch::Tensor& images, int columns, int padding, int upscale) {
  checkImages(images, "toImageGrid");
  if (images.size(0) < 1) throw std::invalid_argument("toImageGrid: no images");
  if (columns < 1 || padding < 0 || upscale < 1) {
    throw std::invalid_argument("toImageGrid: need columns >= 1, padding >= 0, upscale >= 1");
  }
  const auto bytes = toBytes(images);
  const int n = static_cast<int>(bytes.size(0));
  const int tile_h = static_cast<int>(bytes.size(1)) * upscale;
  const int tile_w = static_cast<int>(bytes.size(2)) * upscale;
  const int cols = std::min(columns, n);
  const int rows = (n + cols - 1) / cols;
  cv::Mat grid(rows * tile_h + (rows + 1) * padding, cols * tile_w + (cols + 1) * padding,
               CV_8UC(static_cast<int>(bytes.size(3))), cv::Scalar::all(kPadValue));
  for (int i = 0; i < n; ++i) {
    const int x = padding + (i % cols) * (tile_w + padding);
    const int y = padding + (i / cols) * (tile_h + padding);
    tileOf(bytes, i, upscale).copyTo(grid(cv::Rect(x, y, tile_w, tile_h)));
  }
  return grid;
}

void writePng(const std::string& path, const cv::Mat& image, const std::vector<int>& params) {
  const auto folder = std::filesystem::path(path).parent_path();
  if (!folder.empty() && !std::filesystem::is_directory(folder)) {
    throw std::runtime_error("cannot write " + path + ": folder " + folder.string() +
                             " does not exist");
  }
  const auto extension = std::filesystem::path(path).extension().string();
  std::vector<uchar> encoded;
  bool done = false;
  try {
    done = cv::imencode(extension.empty() ? ".png" : extension, image, encoded, params);
  } catch (const cv::Exception& e) {
    throw std::runtime_error("cannot write " + path + ": " + e.err);
  }
  if (!done) throw std::runtime_error("cannot write " + path + ": encoding failed");
  writeFileAtomically(path, {reinterpret_cast<const char*>(encoded.data()), encoded.size()});
}

cv::Mat scatterPlot(const torch::Tensor& points, const torch::Tensor& reference, int size,
                    double extent) {
  if (size < 16 || !(extent > 0)) {
    throw std::invalid_argument("scatterPlot: need size >= 16 and extent > 0");
  }
  cv::Mat canvas(size, size, CV_8UC3, kBackground);
  const int radius = std::max(1, size / 256);
  cv::rectangle(canvas, toPixel(-1, 1, size, extent), toPixel(1, -1, size, extent), kFrameColour,
                /*thickness=*/1);
  drawPoints(canvas, reference, kReferenceColour, radius, extent);
  drawPoints(canvas, points, kPointColour, radius, extent);
  return canvas;
}

void writeImageFiles(const std::string& dir, const torch::Tensor& images,
                     const std::string& prefix) {
  checkImages(images, "writeImageFiles");
  std::error_code error;
  std::filesystem::create_directories(dir, error);
  if (error) throw std::runtime_error("cannot create folder " + dir + ": " + error.message());
  for (int64_t i = 0; i < images.size(0); ++i) {
    char name[32];
    std::snprintf(name, sizeof name, "_%05lld.png", static_cast<long long>(i));
    const auto path = std::filesystem::path(dir) / (prefix + name);
    writePng(path.string(), toImageGrid(images.slice(0, i, i + 1), 1, /*padding=*/0));
  }
}

}  // namespace cdrl
