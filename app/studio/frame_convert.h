// Tensors from core's sampler turned into the studio's plain LevelFrame (level_frame.h).
#pragma once

#include "cdrl/landscape.h"
#include "cdrl/sampler.h"
#include "landscape_grid.h"
#include "level_frame.h"

#include <QImage>

namespace cdrl::studio {

// One image [C, H, W] in [−1, 1] (clipped; C = 1 grey, 3 RGB) as a QImage, v ↦ round((v+1)·127.5).
// 2-D points have no picture and give a null QImage.
QImage toQImage(const torch::Tensor& image);

// |a − b| summed over channels, colour-mapped from black (0) through red to yellow (the largest
// difference in the batch `scale`).
QImage differenceHeatmap(const torch::Tensor& a, const torch::Tensor& b, double scale);

// All samples of a level (at most `max_samples` images per column; 2-D models: every sample's ŷ
// and ỹ as points).
LevelFrame toLevelFrame(const LevelTrace& trace, int max_samples);

LandscapeGrid toLandscapeGrid(const Landscape& landscape, qint64 run_id);

}  // namespace cdrl::studio
