// 2-D point sets from the user's own CSV files, mapped to [-1, 1] per coordinate (ALGORITHM.md §2).
#pragma once

#include <torch/torch.h>

#include <string>
#include <vector>

#include "data/dataset.h"

namespace cdrl {

// One point "x,y" per line; blank lines are skipped and the first non-blank line may be a header
// whose fields are not numbers. Each coordinate is shifted by its midrange and divided by its
// half-range, so the extremes land on -1 and 1; Dataset::shift/scale hold that map. Throws
// std::runtime_error naming the file and line ("pts.csv:7: expected two numbers 'x,y'"), also for
// an empty file, non-finite values or fewer than 2 points.
Dataset readPointCsv(const std::string& path);

// Writes header "x,y" and one line per row of `points` ([N, 2]) in user units,
// original = point * scale + shift, with enough digits to read back exactly.
// Throws std::runtime_error naming the path when it cannot be written.
void writePointCsv(const std::string& path, const torch::Tensor& points,
                   const std::vector<double>& shift, const std::vector<double>& scale);

}  // namespace cdrl
