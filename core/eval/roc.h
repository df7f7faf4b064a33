// ROC analysis for OOD scores: higher score = more in-distribution (the positive class).
#pragma once

#include <vector>

namespace cdrl {

struct RocCurve {
  std::vector<double> thresholds;  // descending; "positive" means score ≥ threshold
  std::vector<double> tpr;         // fraction of in-distribution scores ≥ threshold
  std::vector<double> fpr;         // fraction of out-of-distribution scores ≥ threshold
  double auroc = 0;                // P(in > out) + ½·P(in = out)
  double fpr_at_95_tpr = 0;        // lowest FPR among thresholds with TPR ≥ 0.95
};

// Throws std::invalid_argument when either set is empty or holds a non-finite score.
RocCurve rocCurve(const std::vector<double>& in_scores, const std::vector<double>& out_scores);

}  // namespace cdrl
