#include "eval/classifier_trainer.h"

#include <cmath>
#include <stdexcept>

namespace cdrl {

namespace {
const double kPi = std::acos(-1.0);
}  // namespace

ClassifierConfig classifierConfigFor(const Dataset& data) {
  if (data.exampleShape().size() != 3)
    throw std::invalid_argument("data '" + data.name +
                                "' is not images; a classifier needs images");
  ClassifierConfig c;
  c.data_shape = data.exampleShape();
  c.dataset = data.name;
  if (data.attributes.defined() && !data.attribute_names.empty()) {
    c.multi_label = true;
    c.output_names = data.attribute_names;
  } else if (data.labels.defined() && !data.class_names.empty()) {
    c.output_names = data.class_names;
  } else {
    throw std::invalid_argument("data '" + data.name + "' has neither classes nor attributes");
  }
  c.validate();
  return c;
}

torch::Tensor classifierTargets(const Dataset& data, const ClassifierConfig& config) {
  return config.multi_label ? data.attributes : data.labels;
}

Classifier trainClassifier(const Dataset& data, const ClassifierTrainOptions& options,
                           const std::function<void(int64_t, double)>& on_step,
                           const std::atomic<bool>* cancel) {
  if (options.steps < 1 || options.batch < 1 || !(options.lr > 0))
    throw std::invalid_argument("classifier training needs steps, batch and lr > 0");
  torch::manual_seed(options.seed);
  Classifier net(classifierConfigFor(data));
  const torch::Tensor targets = classifierTargets(data, net->config());
  torch::optim::Adam opt(net->parameters(), torch::optim::AdamOptions(options.lr));
  auto gen = at::make_generator<at::CPUGeneratorImpl>(options.seed);
  net->train();
  for (int64_t step = 1; step <= options.steps; ++step) {
    if (cancel && cancel->load()) break;
    const double lr =
        0.5 * options.lr *
        (1 + std::cos(kPi * static_cast<double>(step - 1) / static_cast<double>(options.steps)));
    for (auto& group : opt.param_groups())
      static_cast<torch::optim::AdamOptions&>(group.options()).lr(lr);
    const auto index = torch::randint(data.size(), {options.batch}, gen, torch::kLong);
    auto x = data.data.index_select(0, index);
    if (data.random_flip) {
      const auto flip = torch::rand({options.batch}, gen) < 0.5;
      x = torch::where(flip.view({-1, 1, 1, 1}), x.flip({3}), x);
    }
    const auto t = targets.index_select(0, index);
    const auto logits = net->forward(x);
    const auto loss = net->config().multi_label
                          ? torch::binary_cross_entropy_with_logits(logits, t.to(torch::kFloat))
                          : torch::cross_entropy_loss(logits, t);
    opt.zero_grad();
    loss.backward();
    opt.step();
    if (on_step) on_step(step, loss.item<double>());
  }
  net->eval();
  return net;
}

double classifierAccuracy(Classifier& net, const torch::Tensor& x, const torch::Tensor& targets) {
  const auto predicted = net->predict(classifierLogits(net, x));
  return predicted.eq(targets.to(torch::kLong)).to(torch::kDouble).mean().item<double>();
}

}  // namespace cdrl
