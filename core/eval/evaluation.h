// Measurements of a trained model (ALGORITHM.md §7, PRODUCT.md): Fréchet distance in a
// classifier's feature space, how often conditional samples carry the requested concepts, and
// their cost in images per second.
#pragma once

#include "cdrl/guidance.h"
#include "cdrl/model.h"
#include "nn/classifier.h"

#include <atomic>
#include <functional>
#include <string>
#include <vector>

namespace cdrl {

struct EvalSampling {
  int64_t count = 500;  // samples per measurement
  int64_t batch = 100;  // samples drawn at once
  uint64_t seed = 0;    // the whole draw's seed: the samples do not depend on `batch`
  int steps = 0;        // K' Langevin steps per level; 0 = the model's K
  bool use_ema = true;
};

struct DrawnSamples {
  torch::Tensor images;  // [count, ...] clamped to [−1, 1], CPU
  double seconds = 0;    // wall time of the sampling alone
  double imagesPerSecond() const { return seconds > 0 ? images.size(0) / seconds : 0; }
};

// Samples under `condition` in batches. Throws std::runtime_error("cancelled") if `cancel` is set.
DrawnSamples drawSamples(Model& model, const Condition& condition, const EvalSampling& sampling,
                         const std::atomic<bool>* cancel = nullptr);

// Reads what samples show: a class index [N] for class models, 0/1 attributes [N, A] for
// attribute models (see concepts.h).
struct Judge {
  std::function<torch::Tensor(const torch::Tensor& images)> read;
  std::string name;  // "the exact shapes detector" or "the classifier"
};

// The exact shape detector for models of the `shapes` data; else the classifier, which must
// predict the model's classes (or its attributes, multi-label) under the same names. Throws
// std::invalid_argument when neither fits.
Judge makeJudge(const ModelConfig& config, Classifier* classifier);

struct GuidedRow {
  double weight = 0;
  double accuracy = 0;  // fraction of samples carrying the concept they were drawn for
  std::vector<double> concept_accuracy;  // the same for each concept alone (index label − 1)
  double images_per_second = 0;
  torch::Tensor images;  // every concept's samples, pooled (as many of each concept)
};

// For each guidance weight w: samples of every concept c (count / C each, at least 1) under
// Condition::guided(c, w), judged; the fraction that carry c. The pooled samples come back too,
// so a caller can measure their quality with no second draw.
std::vector<GuidedRow> guidedAccuracy(Model& model, const std::vector<double>& weights,
                                      const EvalSampling& sampling, const Judge& judge,
                                      const std::atomic<bool>* cancel = nullptr);

// The fraction of samples under Condition::composed(terms) that carry every concept of `terms`.
double compositionAccuracy(Model& model, const std::vector<ConditionTerm>& terms,
                           const EvalSampling& sampling, const Judge& judge,
                           const std::atomic<bool>* cancel = nullptr);

}  // namespace cdrl
