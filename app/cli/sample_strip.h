// The per-level strip image: one row per level T … 1 showing x_i, the proposal ŷ and the refined ỹ.
#pragma once

#include "cdrl/sampler.h"
#include "io/model_config.h"

#include <opencv2/core.hpp>

#include <vector>

namespace cdrl::cli {

cv::Mat levelStrip(const std::vector<LevelTrace>& traces, const ModelConfig& config);

}  // namespace cdrl::cli
