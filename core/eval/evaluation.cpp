#include "eval/evaluation.h"

#include "cdrl/concepts.h"
#include "cdrl/sampler.h"
#include "data/shapes_data.h"

#include <chrono>
#include <stdexcept>

namespace cdrl {

DrawnSamples drawSamples(Model& model, const Condition& condition, const EvalSampling& sampling,
                         const std::atomic<bool>* cancel) {
  if (sampling.count < 1 || sampling.batch < 1)
    throw std::invalid_argument("evaluation needs count and batch ≥ 1");
  DrawnSamples out;
  std::vector<torch::Tensor> parts;
  const auto start = std::chrono::steady_clock::now();
  for (int64_t done = 0; done < sampling.count;) {
    SampleOptions options;
    options.count = std::min(sampling.batch, sampling.count - done);
    options.seed = sampling.seed;
    options.first_row = done;
    options.steps = sampling.steps;
    options.use_ema = sampling.use_ema;
    options.condition = condition;
    const auto result = sample(model, options, {}, cancel);
    if (result.cancelled) throw std::runtime_error("cancelled");
    parts.push_back(result.samples.clamp(-1, 1));
    done += options.count;
  }
  out.seconds = std::chrono::duration<double>(std::chrono::steady_clock::now() - start).count();
  out.images = torch::cat(parts);
  return out;
}

Judge makeJudge(const ModelConfig& config, Classifier* classifier) {
  if (config.num_classes == 0)
    throw std::invalid_argument("the model is unconditional: there are no concepts to judge");
  const bool attributes = isAttributeModel(config);
  if (attributes && config.dataset.rfind("shapes", 0) == 0 &&
      attributeNames(config) == shapeAttributeNames())
    return {[](const torch::Tensor& images) { return detectShapeAttributes(images); },
            "the exact shapes detector"};
  if (!classifier)
    throw std::invalid_argument("judging samples of this model needs a classifier (--classifier)");
  const auto& c = (*classifier)->config();
  const auto wanted = attributes ? attributeNames(config) : config.class_names;
  if (c.multi_label != attributes || c.output_names != wanted)
    throw std::invalid_argument("the classifier predicts other " +
                                std::string(c.multi_label ? "attributes" : "classes") +
                                " than the model's concepts");
  return {[classifier](const torch::Tensor& images) {
            return (*classifier)->predict(classifierLogits(*classifier, images));
          },
          "the classifier"};
}

std::vector<GuidedRow> guidedAccuracy(Model& model, const std::vector<double>& weights,
                                      const EvalSampling& sampling, const Judge& judge,
                                      const std::atomic<bool>* cancel) {
  const ModelConfig& config = model.config();
  EvalSampling per_concept = sampling;
  per_concept.count = std::max<int64_t>(1, sampling.count / config.num_classes);
  std::vector<GuidedRow> rows;
  for (double w : weights) {
    GuidedRow row{w, 0, {}, 0, {}};
    double seconds = 0, correct = 0, total = 0;
    std::vector<torch::Tensor> pooled;
    for (int64_t label = 1; label <= config.num_classes; ++label) {
      const auto drawn = drawSamples(model, Condition::guided(label, w), per_concept, cancel);
      seconds += drawn.seconds;
      const auto n = static_cast<double>(drawn.images.size(0));
      const double hits =
          conceptsHold(config, judge.read(drawn.images), {label}).sum().item<double>();
      total += n;
      correct += hits;
      row.concept_accuracy.push_back(hits / n);
      pooled.push_back(drawn.images);
    }
    row.accuracy = correct / total;
    row.images_per_second = total / seconds;
    row.images = torch::cat(pooled);
    rows.push_back(row);
  }
  return rows;
}

double compositionAccuracy(Model& model, const std::vector<ConditionTerm>& terms,
                           const EvalSampling& sampling, const Judge& judge,
                           const std::atomic<bool>* cancel) {
  std::vector<int64_t> labels;
  for (const auto& t : terms) labels.push_back(t.label);
  const auto drawn = drawSamples(model, Condition::composed(terms), sampling, cancel);
  return conceptsHold(model.config(), judge.read(drawn.images), labels)
      .to(torch::kDouble)
      .mean()
      .item<double>();
}

}  // namespace cdrl
