#include "eval/roc.h"

#include <algorithm>
#include <cmath>
#include <stdexcept>

namespace cdrl {

RocCurve rocCurve(const std::vector<double>& in_scores, const std::vector<double>& out_scores) {
  if (in_scores.empty() || out_scores.empty())
    throw std::invalid_argument("ROC: both the in- and the out-of-distribution set need scores");
  struct Scored {
    double score;
    bool positive;
  };
  std::vector<Scored> all;
  for (double s : in_scores) all.push_back({s, true});
  for (double s : out_scores) all.push_back({s, false});
  for (const auto& s : all)
    if (!std::isfinite(s.score)) throw std::invalid_argument("ROC: a score is not finite");
  std::sort(all.begin(), all.end(),
            [](const Scored& a, const Scored& b) { return a.score > b.score; });

  const double P = static_cast<double>(in_scores.size()),
               N = static_cast<double>(out_scores.size());
  RocCurve roc;
  roc.thresholds.push_back(std::numeric_limits<double>::infinity());
  roc.tpr.push_back(0);
  roc.fpr.push_back(0);
  double tp = 0, fp = 0, area = 0;
  roc.fpr_at_95_tpr = 1.0;
  for (size_t k = 0; k < all.size();) {
    // Tied scores move together: one diagonal step, which credits ties with ½.
    const double threshold = all[k].score;
    double dtp = 0, dfp = 0;
    for (; k < all.size() && all[k].score == threshold; ++k) (all[k].positive ? dtp : dfp) += 1;
    area += dfp / N * (tp + 0.5 * dtp) / P;
    tp += dtp;
    fp += dfp;
    roc.thresholds.push_back(threshold);
    roc.tpr.push_back(tp / P);
    roc.fpr.push_back(fp / N);
    if (tp / P >= 0.95) roc.fpr_at_95_tpr = std::min(roc.fpr_at_95_tpr, fp / N);
  }
  roc.auroc = area;
  return roc;
}

}  // namespace cdrl
