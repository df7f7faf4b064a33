#include "sample_strip.h"

#include "data/image_io.h"

#include <opencv2/imgproc.hpp>

namespace cdrl::cli {

namespace {

constexpr int64_t kStripImages = 8;  // images per panel
constexpr int kPanelSize = 220;      // scatter panel side in pixels

cv::Mat panel(const torch::Tensor& t, const ModelConfig& config) {
  if (config.isImage()) {
    const auto n = std::min<int64_t>(kStripImages, t.size(0));
    return toImageGrid(t.slice(0, 0, n), static_cast<int>(n), 2, 2);
  }
  return scatterPlot(t, torch::Tensor(), kPanelSize, 2.5);
}

cv::Mat toColour(const cv::Mat& m) {
  if (m.channels() == 3) return m;
  cv::Mat out;
  cv::cvtColor(m, out, cv::COLOR_GRAY2BGR);
  return out;
}

}  // namespace

cv::Mat levelStrip(const std::vector<LevelTrace>& traces, const ModelConfig& config) {
  std::vector<cv::Mat> rows;
  for (const auto& t : traces) {
    std::vector<cv::Mat> cells = {toColour(panel(t.x_i, config)), toColour(panel(t.y_hat, config)),
                                  toColour(panel(t.y_tilde, config))};
    static const char* const names[] = {"x_i", "proposal", "refined"};
    std::vector<cv::Mat> padded;
    for (size_t k = 0; k < cells.size(); ++k) {
      // A caption band above each panel and a gap to its right.
      cv::Mat cell(cells[k].rows + 24, cells[k].cols + 12, CV_8UC3, cv::Scalar(255, 255, 255));
      cells[k].copyTo(cell(cv::Rect(0, 24, cells[k].cols, cells[k].rows)));
      cv::putText(cell, "level " + std::to_string(t.level) + " " + names[k], {2, 17},
                  cv::FONT_HERSHEY_SIMPLEX, 0.45, cv::Scalar(40, 40, 40), 1, cv::LINE_AA);
      padded.push_back(cell);
    }
    cv::Mat row;
    cv::hconcat(padded, row);
    rows.push_back(row);
  }
  if (rows.empty()) return cv::Mat(1, 1, CV_8UC3, cv::Scalar(255, 255, 255));
  cv::Mat strip;
  cv::vconcat(rows, strip);
  return strip;
}

}  // namespace cdrl::cli
