// Training and scoring the evaluation classifier (classifier.h) on a labelled or attribute data
// set.
#pragma once

#include "data/dataset.h"
#include "nn/classifier.h"

#include <atomic>
#include <functional>

namespace cdrl {

struct ClassifierTrainOptions {
  int64_t steps = 2000;  // Adam steps over random minibatches
  int64_t batch = 128;
  double lr = 1e-3;   // Adam, cosine-decayed to 0 over `steps`
  uint64_t seed = 0;  // initial weights and minibatch order
};

// Single-label over data.class_names, or multi-label over data.attribute_names when the data has
// attributes. Throws std::invalid_argument for unlabelled or non-image data.
ClassifierConfig classifierConfigFor(const Dataset& data);

// Class index [N] or 0/1 attributes [N, A], whichever the configuration predicts.
torch::Tensor classifierTargets(const Dataset& data, const ClassifierConfig& config);

// `on_step(step, loss)` after each step; stops early (returning the net as it is) when `cancel`
// becomes true.
Classifier trainClassifier(const Dataset& data, const ClassifierTrainOptions& options,
                           const std::function<void(int64_t, double)>& on_step = {},
                           const std::atomic<bool>* cancel = nullptr);

// Fraction of correct predictions; for multi-label, of correct (example, attribute) pairs.
double classifierAccuracy(Classifier& net, const torch::Tensor& x, const torch::Tensor& targets);

}  // namespace cdrl
