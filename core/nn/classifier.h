// A small convolutional classifier trained on the same data as a model. Its penultimate features
// stand in for Inception's in the Fréchet distance (no Inception weights offline) and its outputs
// grade conditional samples: single-label (softmax over classes) or multi-label (one sigmoid per
// binary attribute, for attribute data).
#pragma once

#include <torch/torch.h>

#include <string>
#include <vector>

namespace cdrl {

struct ClassifierConfig {
  std::vector<int64_t> data_shape;        // {C, H, W}
  std::vector<std::string> output_names;  // class names, or attribute names when multi_label
  bool multi_label = false;               // attributes: one independent logit per name
  std::string dataset;                    // the data specification it was trained on
  int64_t width = 32;                     // channels of the first stage (the second has 2×)
  int64_t feature_dim = 128;              // size of the feature vector used for distances

  // Throws std::invalid_argument naming the bad field.
  void validate() const;
};

// conv(C→w) · conv(w→w, /2) · conv(w→2w) · conv(2w→2w, /2), 3×3 with ReLU, average pool to 4×4,
// linear(2w·16→feature_dim) with ReLU (the features), linear(feature_dim→outputs).
class ClassifierImpl : public torch::nn::Module {
 public:
  explicit ClassifierImpl(ClassifierConfig config);

  torch::Tensor features(const torch::Tensor& x);  // [N, feature_dim]
  torch::Tensor forward(const torch::Tensor& x);   // logits [N, outputs]
  // Class index [N] (single-label) or 0/1 attributes [N, A] (multi-label).
  torch::Tensor predict(const torch::Tensor& logits) const;

  const ClassifierConfig& config() const { return m_config; }

 private:
  ClassifierConfig m_config;
  torch::nn::Sequential m_trunk{nullptr};
  torch::nn::Linear m_feature{nullptr}, m_head{nullptr};
};
TORCH_MODULE(Classifier);

// Features or logits of many examples in eval mode, in batches, without autograd; CPU results.
torch::Tensor classifierFeatures(Classifier& net, const torch::Tensor& x, int64_t batch = 256);
torch::Tensor classifierLogits(Classifier& net, const torch::Tensor& x, int64_t batch = 256);

// A safetensors file: metadata format "cdrl-classifier", version 1, the config as JSON, weights.
// Written atomically; reading throws FormatError naming the file and the problem.
void saveClassifier(const std::string& path, Classifier& net);
Classifier loadClassifier(const std::string& path, torch::Device device = torch::kCPU);

}  // namespace cdrl
