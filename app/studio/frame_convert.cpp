#include "frame_convert.h"

#include <algorithm>
#include <cmath>

namespace cdrl::studio {

QImage toQImage(const torch::Tensor& image) {
  if (image.dim() != 3) return {};
  const auto bytes = ((image.detach().to(torch::kFloat).clamp(-1, 1) + 1) * 127.5)
                         .round()
                         .to(torch::kUInt8)
                         .permute({1, 2, 0})
                         .contiguous();
  const int h = static_cast<int>(bytes.size(0)), w = static_cast<int>(bytes.size(1));
  const bool grey = bytes.size(2) == 1;
  QImage out(w, h, grey ? QImage::Format_Grayscale8 : QImage::Format_RGB888);
  const auto row_bytes = static_cast<size_t>(w * bytes.size(2));
  for (int y = 0; y < h; ++y)
    std::copy_n(bytes.data_ptr<uint8_t>() + y * row_bytes, row_bytes, out.scanLine(y));
  return out;
}

QImage differenceHeatmap(const torch::Tensor& a, const torch::Tensor& b, double scale) {
  if (a.dim() != 3) return {};
  const auto d = (a - b).abs().sum(0).to(torch::kFloat).contiguous();
  const int h = static_cast<int>(d.size(0)), w = static_cast<int>(d.size(1));
  QImage out(w, h, QImage::Format_RGB888);
  const float* v = d.data_ptr<float>();
  for (int y = 0; y < h; ++y) {
    uchar* line = out.scanLine(y);
    for (int x = 0; x < w; ++x) {
      // Black → red → yellow, so small differences stay visible on the dark end.
      const double t = scale > 0 ? std::clamp(v[y * w + x] / scale, 0.0, 1.0) : 0.0;
      line[3 * x] = static_cast<uchar>(std::round(255 * std::min(1.0, 2 * t)));
      line[3 * x + 1] = static_cast<uchar>(std::round(255 * std::max(0.0, 2 * t - 1)));
      line[3 * x + 2] = 0;
    }
  }
  return out;
}

LevelFrame toLevelFrame(const LevelTrace& trace, int max_samples) {
  LevelFrame f;
  f.run_id = trace.run_id;
  f.level = trace.level;
  f.levels = trace.levels;
  f.energy_proposal = trace.energy_proposal;
  f.energy_refined = trace.energy_refined;
  f.step_energy = QVector<double>(trace.step_energy.begin(), trace.step_energy.end());
  f.step_displacement =
      QVector<double>(trace.step_displacement.begin(), trace.step_displacement.end());
  const int n = std::min<int>(max_samples, static_cast<int>(trace.y_hat.size(0)));
  if (trace.y_hat.dim() != 4) return f;  // 2-D points: numbers only
  const double scale =
      std::max(1e-6, (trace.y_tilde - trace.y_hat).abs().sum(1).max().item<double>());
  for (int k = 0; k < n; ++k) {
    f.x_i.push_back(toQImage(trace.x_i[k]));
    f.proposal.push_back(toQImage(trace.y_hat[k]));
    f.refined.push_back(toQImage(trace.y_tilde[k]));
    f.difference.push_back(differenceHeatmap(trace.y_tilde[k], trace.y_hat[k], scale));
  }
  for (const auto& step : trace.steps) {
    QVector<QImage> images;
    for (int k = 0; k < n; ++k) images.push_back(toQImage(step[k]));
    f.steps.push_back(images);
  }
  return f;
}

}  // namespace cdrl::studio
