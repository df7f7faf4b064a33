#include "nn/classifier.h"

#include "io/module_state.h"
#include "io/safetensors.h"

#include <nlohmann/json.hpp>

#include <stdexcept>

namespace cdrl {

namespace {

const char* const kFormat = "cdrl-classifier";
const char* const kVersion = "1";
// The trunk's output is average-pooled to kPooled × kPooled, keeping where things are.
constexpr int64_t kPooled = 4;

torch::nn::Conv2dOptions conv(int64_t in, int64_t out, int64_t stride) {
  return torch::nn::Conv2dOptions(in, out, 3).stride(stride).padding(1);
}

nlohmann::json toJson(const ClassifierConfig& c) {
  return {{"data_shape", c.data_shape},
          {"output_names", c.output_names},
          {"multi_label", c.multi_label},
          {"dataset", c.dataset},
          {"width", c.width},
          {"feature_dim", c.feature_dim}};
}

ClassifierConfig classifierConfigFromJson(const nlohmann::json& j) {
  ClassifierConfig c;
  c.data_shape = j.at("data_shape").get<std::vector<int64_t>>();
  c.output_names = j.at("output_names").get<std::vector<std::string>>();
  c.multi_label = j.at("multi_label").get<bool>();
  c.dataset = j.at("dataset").get<std::string>();
  c.width = j.at("width").get<int64_t>();
  c.feature_dim = j.at("feature_dim").get<int64_t>();
  c.validate();
  return c;
}

// Runs `f` over `x` in eval mode and batches without autograd, restoring the training flag.
torch::Tensor batched(Classifier& net, const torch::Tensor& x, int64_t batch,
                      const std::function<torch::Tensor(const torch::Tensor&)>& f) {
  torch::NoGradGuard no_grad;
  const bool was_training = net->is_training();
  net->eval();
  const auto device = net->parameters().front().device();
  std::vector<torch::Tensor> parts;
  for (int64_t k = 0; k < x.size(0); k += batch)
    parts.push_back(f(x.slice(0, k, std::min(x.size(0), k + batch)).to(device)).to(torch::kCPU));
  net->train(was_training);
  return torch::cat(parts);
}

}  // namespace

void ClassifierConfig::validate() const {
  if (data_shape.size() != 3 || data_shape[0] < 1 || data_shape[1] < 4 || data_shape[2] < 4)
    throw std::invalid_argument("classifier data_shape must be {C, H, W} images of at least 4×4");
  if (output_names.empty()) throw std::invalid_argument("classifier output_names is empty");
  if (!multi_label && output_names.size() < 2)
    throw std::invalid_argument("a single-label classifier needs at least 2 classes");
  if (width < 1 || feature_dim < 1)
    throw std::invalid_argument("classifier width and feature_dim must be positive");
}

ClassifierImpl::ClassifierImpl(ClassifierConfig config) : m_config(std::move(config)) {
  m_config.validate();
  const int64_t w = m_config.width;
  namespace nn = torch::nn;
  m_trunk = register_module(
      "trunk", nn::Sequential(nn::Conv2d(conv(m_config.data_shape[0], w, 1)), nn::ReLU(),
                              nn::Conv2d(conv(w, w, 2)), nn::ReLU(), nn::Conv2d(conv(w, 2 * w, 1)),
                              nn::ReLU(), nn::Conv2d(conv(2 * w, 2 * w, 2)), nn::ReLU(),
                              nn::AdaptiveAvgPool2d(kPooled), nn::Flatten()));
  m_feature =
      register_module("feature", nn::Linear(2 * w * kPooled * kPooled, m_config.feature_dim));
  m_head = register_module(
      "head", nn::Linear(m_config.feature_dim, static_cast<int64_t>(m_config.output_names.size())));
}

torch::Tensor ClassifierImpl::features(const torch::Tensor& x) {
  return torch::relu(m_feature(m_trunk->forward(x)));
}

torch::Tensor ClassifierImpl::forward(const torch::Tensor& x) { return m_head(features(x)); }

torch::Tensor ClassifierImpl::predict(const torch::Tensor& logits) const {
  return m_config.multi_label ? (logits > 0).to(torch::kLong) : logits.argmax(1);
}

torch::Tensor classifierFeatures(Classifier& net, const torch::Tensor& x, int64_t batch) {
  return batched(net, x, batch, [&](const torch::Tensor& b) { return net->features(b); });
}

torch::Tensor classifierLogits(Classifier& net, const torch::Tensor& x, int64_t batch) {
  return batched(net, x, batch, [&](const torch::Tensor& b) { return net->forward(b); });
}

void saveClassifier(const std::string& path, Classifier& net) {
  TensorFile file;
  file.metadata["format"] = kFormat;
  file.metadata["format_version"] = kVersion;
  file.metadata["config"] = toJson(net->config()).dump();
  storeModuleState(file, "classifier/", *net);
  writeTensorFile(path, file);
}

Classifier loadClassifier(const std::string& path, torch::Device device) {
  const TensorFile file = readTensorFile(path);
  try {
    if (metadataField(file, "format", "CDRL classifier") != kFormat)
      throw std::runtime_error("not a CDRL classifier (format '" + file.metadata.at("format") +
                               "')");
    if (metadataField(file, "format_version", "CDRL classifier") != kVersion)
      throw std::runtime_error("wrong version: format version " +
                               file.metadata.at("format_version") +
                               ", this program reads version " + kVersion);
    Classifier net(classifierConfigFromJson(
        nlohmann::json::parse(metadataField(file, "config", "CDRL classifier"))));
    net->to(device);
    loadModuleState(*net, file, "classifier/");
    net->eval();
    return net;
  } catch (const std::exception& e) {
    throw FormatError("classifier " + path + ": " + e.what());
  }
}

}  // namespace cdrl
