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
  if (trace.y_hat.dim() == 2) {  // 2-D points: every sample, for the landscape view
    const auto y_hat = trace.y_hat.to(torch::kDouble).contiguous();
    const auto y_tilde = trace.y_tilde.to(torch::kDouble).contiguous();
    const auto a = y_hat.accessor<double, 2>(), b = y_tilde.accessor<double, 2>();
    for (int64_t k = 0; k < y_hat.size(0); ++k) {
      f.proposal_points.push_back({a[k][0], a[k][1]});
      f.refined_points.push_back({b[k][0], b[k][1]});
    }
    return f;
  }
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

LandscapeGrid toLandscapeGrid(const Landscape& landscape, qint64 run_id) {
  LandscapeGrid grid;
  grid.run_id = run_id;
  grid.resolution = landscape.resolution;
  grid.extent = landscape.extent;
  auto toQ = [](const std::vector<float>& v) { return QVector<float>(v.begin(), v.end()); };
  for (const LandscapeLevel& level : landscape.levels) {
    grid.levels.push_back(level.level);
    grid.energy.push_back(toQ(level.energy));
    grid.grad_x.push_back(toQ(level.grad_x));
    grid.grad_y.push_back(toQ(level.grad_y));
  }
  return grid;
}

}  // namespace cdrl::studio
