// Images and point clouds rendered to OpenCV matrices and PNG files, for export and tests.
#pragma once

#include <torch/torch.h>

#include <opencv2/core.hpp>

#include <string>
#include <vector>

namespace cdrl {

// Tiles images [N, C, H, W] (values in [-1, 1], clipped first; C = 1 grey or 3 RGB) into a grid of
// min(columns, N) columns, each image enlarged `upscale` times by pixel repetition, with `padding`
// white pixels around and between the tiles. Returns CV_8UC1 for C = 1 and CV_8UC3 (BGR) for
// C = 3; value v maps to round((v + 1) * 127.5). Cells after the last image stay white.
cv::Mat toImageGrid(const torch::Tensor& images, int columns, int padding = 2, int upscale = 1);

// Encodes by the path's extension (PNG when it has none; `params` as cv::imwrite takes them) and
// writes atomically (io/atomic_file.h). Throws std::runtime_error naming the path when its folder
// is missing, encoding fails or the disk refuses the file; no partial file is left.
void writePng(const std::string& path, const cv::Mat& image, const std::vector<int>& params = {});

// A size x size BGR plot on white of the square [-extent, extent]^2 (y up): `reference` ([M, 2],
// may be undefined) in light grey under `points` ([N, 2]) in a strong blue, with a thin frame
// marking [-1, 1]^2. Non-finite points and points outside the plot are skipped.
cv::Mat scatterPlot(const torch::Tensor& points, const torch::Tensor& reference, int size = 512,
                    double extent = 1.3);

// Writes each image of [N, C, H, W] as <dir>/<prefix>_00000.png, ..., creating `dir` if needed.
void writeImageFiles(const std::string& dir, const torch::Tensor& images,
                     const std::string& prefix);

}  // namespace cdrl
