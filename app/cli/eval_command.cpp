// `cdrl eval`: sample quality against Langevin steps per level (Fréchet distance in a classifier's
// feature space, or energy distance for 2-D models; optional standard FID), guided accuracy by
// guidance weight, and composition accuracy (ALGORITHM.md §7, PRODUCT.md). 2-D models also get
// precision, recall and coverage (eval/precision_recall.h): the haze between thin structures and
// the modes left out, which an energy distance of centred, unit-scale shapes barely registers.
#include "cdrl/concepts.h"
#include "cdrl/model_checkpoint.h"
#include "commands.h"
#include "data/data_source.h"
#include "eval/distance.h"
#include "eval/evaluation.h"
#include "eval/frechet.h"
#include "eval/inception.h"
#include "eval/precision_recall.h"
#include "io/atomic_file.h"
#include "io/text.h"
#include "nn/classifier.h"
#include "open_checkpoint.h"
#include "progress.h"
#include "runtime/device.h"

#include <nlohmann/json.hpp>

#include <cmath>
#include <cstdio>
#include <functional>
#include <optional>
#include <sstream>

namespace cdrl::cli {

namespace {

struct EvalArgs {
  std::string checkpoint;
  std::string classifier;
  std::string inception;
  std::string data;
  int64_t reference_count = 2000;
  std::vector<int> steps;  // empty: stepsToCompare's default
  std::vector<double> weights = {0, 1, 3};
  std::vector<std::string> compose;
  EvalSampling sampling;
  bool raw = false;
  std::string json;
  std::string device = "auto";
};

// "a=1,b=0:2" → the composed concepts.
std::vector<ConditionTerm> parseComposition(const ModelConfig& config, const std::string& spec) {
  std::vector<ConditionTerm> terms;
  std::stringstream in(spec);
  for (std::string part; std::getline(in, part, ',');)
    terms.push_back(parseConceptTerm(config, trim(part)));
  if (terms.empty()) throw std::invalid_argument("--compose '" + spec + "' names no concept");
  return terms;
}

std::string describeTerms(const ModelConfig& config, const std::vector<ConditionTerm>& terms) {
  std::string s;
  for (const auto& t : terms) {
    s += (s.empty() ? "" : " + ") + config.class_names[static_cast<size_t>(t.label - 1)];
    if (t.weight != 1.0) s += ":" + Progress::number(t.weight);
  }
  return s;
}

// Attribute models without --compose: the first two attributes, then the first three, all = 1.
std::vector<std::vector<ConditionTerm>> defaultCompositions(const ModelConfig& config) {
  std::vector<std::vector<ConditionTerm>> out;
  const auto names = attributeNames(config);
  for (size_t n = 2; n <= std::min<size_t>(3, names.size()); ++n) {
    std::vector<ConditionTerm> terms;
    for (size_t a = 0; a < n; ++a) terms.push_back({static_cast<int64_t>(2 * a + 2), 1.0});
    out.push_back(terms);
  }
  return out;
}

Dataset referenceData(const EvalArgs& a, const ModelConfig& config) {
  const HeldOutData held_out =
      a.data.empty() ? heldOutData(config.dataset) : HeldOutData{a.data, 0};
  if (held_out.spec.empty())
    throw std::runtime_error("no held-out data known for '" + config.dataset + "': pass --data");
  ImageLoadOptions image;
  image.random_flip = false;
  if (config.isImage()) {
    image.channels = static_cast<int>(config.data_shape[0]);
    image.size = config.data_shape[1];
    image.limit = a.reference_count + a.sampling.count;  // the rest: the second-draw baseline
  }
  Dataset data = loadDataset(held_out.spec, held_out.seed, image);
  if (!config.isImage()) {
    // 2-D points: a random subset (a CSV file may be sorted along its curve), and the rest kept
    // for the second-draw baseline (printBaselines).
    torch::Generator gen = at::detail::createCPUGenerator(0);
    data.data = data.data.index_select(0, torch::randperm(data.size(), gen));
  }
  std::fprintf(stderr, "cdrl eval: reference %s (%lld examples)\n", held_out.spec.c_str(),
               static_cast<long long>(std::min(a.reference_count, data.size())));
  return data;
}

// Two yardsticks for a model's distance to the reference: a second draw of the data itself (what
// a perfect model reaches with these sample sizes) and a Gaussian with the data's mean and
// covariance (what a model that learned only the first two moments reaches). `distance` is the
// table's own metric, so the three figures compare directly.
// `support`, where set (2-D models), adds each yardstick's precision and recall.
void printBaselines(const torch::Tensor& second_draw, const torch::Tensor& reference,
                    const std::function<double(const torch::Tensor&)>& distance,
                    const std::function<PrecisionRecall(const torch::Tensor&)>& support,
                    nlohmann::json& report) {
  if (second_draw.size(0) < 2) {
    std::fprintf(stderr, "cdrl eval: too few held-out examples past the reference for baselines\n");
    return;
  }
  const auto x = second_draw.flatten(1).to(torch::kDouble);
  const auto mean = x.mean(0);
  const auto centred = x - mean;
  // Image pixels that never vary (a border always black) make the covariance singular: a ridge
  // far below any pixel's variance keeps the Cholesky factor defined.
  const auto covariance =
      centred.t().mm(centred) / (x.size(0) - 1) + 1e-6 * torch::eye(x.size(1), torch::kDouble);
  torch::Generator gen = at::detail::createCPUGenerator(1);
  const auto z = torch::randn({x.size(0), x.size(1)}, gen, torch::kDouble);
  auto gaussian = (mean + z.mm(at::linalg_cholesky(covariance).t())).to(torch::kFloat);
  gaussian = gaussian.view(second_draw.sizes());
  if (reference.dim() > 2) gaussian = gaussian.clamp(-1, 1);  // as samples are
  const double floor = distance(second_draw);
  const double moments = distance(gaussian);
  std::printf("\nbaselines (%lld %s each): second draw of the data %.4g, Gaussian fit %.4g\n",
              static_cast<long long>(x.size(0)), reference.dim() > 2 ? "images" : "points", floor,
              moments);
  report["baselines"] = {{"count", x.size(0)}, {"second_draw", floor}, {"gaussian_fit", moments}};
  if (!support || second_draw.size(0) <= kPrecisionRecallNeighbours) return;
  const auto floor_pr = support(second_draw);
  const auto moments_pr = support(gaussian);
  std::printf(
      "  precision / recall / coverage: second draw %.3f / %.3f / %.3f, Gaussian fit %.3f / %.3f / "
      "%.3f\n",
      floor_pr.precision, floor_pr.recall, floor_pr.coverage, moments_pr.precision,
      moments_pr.recall, moments_pr.coverage);
  report["baselines"]["second_draw_precision"] = floor_pr.precision;
  report["baselines"]["second_draw_recall"] = floor_pr.recall;
  report["baselines"]["second_draw_coverage"] = floor_pr.coverage;
  report["baselines"]["gaussian_fit_precision"] = moments_pr.precision;
  report["baselines"]["gaussian_fit_recall"] = moments_pr.recall;
  report["baselines"]["gaussian_fit_coverage"] = moments_pr.coverage;
}

// What the unconditional (∅) samples hold, by the judge: a class model's share of each class
// (held-out data has about 1/C of each), an attribute model's share of each attribute = 1. A
// skewed share is a distance the table shows but cannot explain.
void printConceptShares(const ModelConfig& config, const Judge& judge, int steps,
                        const torch::Tensor& images, nlohmann::json& report) {
  const auto judged = judge.read(images);
  const bool attributes = isAttributeModel(config);
  const auto names = attributes ? attributeNames(config) : config.class_names;
  const auto shares =
      attributes ? judged.to(torch::kDouble).mean(0)
                 : torch::bincount(judged.flatten(), {}, static_cast<int64_t>(names.size()))
                           .to(torch::kDouble) /
                       static_cast<double>(judged.numel());
  std::printf("\nunconditional samples (K' %d), share %s by %s:\n", steps,
              attributes ? "with each attribute = 1" : "of each class", judge.name.c_str());
  for (size_t i = 0; i < names.size(); ++i) {
    const double share = shares[static_cast<int64_t>(i)].item<double>();
    std::printf("  %-16s %.3f\n", names[i].c_str(), share);
    report["unconditional_shares"][names[i]] = share;
  }
  std::fflush(stdout);
}

// Guided accuracy concept by concept, a column per guidance weight: which concepts guidance gets
// right, where the table above gives only their mean.
void printConceptAccuracy(const ModelConfig& config, const std::vector<GuidedRow>& rows) {
  std::printf("\nconcept           ");
  for (const auto& row : rows) std::printf("  w = %-5.2f", row.weight);
  std::printf("  (share of its samples carrying it)\n");
  for (size_t c = 0; c < config.class_names.size(); ++c) {
    std::printf("  %-16s", config.class_names[c].c_str());
    for (const auto& row : rows) std::printf("  %-9.3f", row.concept_accuracy.at(c));
    std::printf("\n");
  }
  std::fflush(stdout);
}

// The K' column: the model's own K, then the paper's 15, 8, 5 and 3 (§6) below it.
std::vector<int> stepsToCompare(const EvalArgs& a, const ModelConfig& config) {
  if (!a.steps.empty()) return a.steps;
  std::vector<int> steps = {config.schedule.K};
  for (int k : {15, 8, 5, 3})
    if (k < config.schedule.K) steps.push_back(k);
  return steps;
}

void run(const EvalArgs& a) {
  refuseOverwritingInput("--json", a.json, a.checkpoint);
  const auto device = selectDevice(devicePreferenceFromString(a.device));
  auto model = loadModel(openCheckpointFile(a.checkpoint), device);
  const ModelConfig& config = model->config();
  std::optional<Classifier> classifier;
  if (!a.classifier.empty()) classifier = loadClassifier(a.classifier, device);
  std::optional<InceptionFeatures> inception;
  if (!a.inception.empty()) inception.emplace(a.inception, device);
  const bool distance = !config.isImage() || classifier;  // a quality column to print
  if (config.isImage() && !classifier && !inception)
    std::fprintf(stderr,
                 "cdrl eval: no --classifier (see train-classifier) or --inception: "
                 "Fréchet distances are skipped\n");

  // Bad concept names fail here, before any sampling time is spent.
  if (!a.compose.empty() && config.num_classes == 0)
    throw std::runtime_error("--compose: the model is unconditional");
  auto compositions = defaultCompositions(config);
  if (!a.compose.empty()) {
    compositions.clear();
    for (const auto& spec : a.compose) compositions.push_back(parseComposition(config, spec));
  }

  // Made before any sampling, so a model without a fitting judge fails at once.
  std::optional<Judge> judge;
  if (config.num_classes > 0) judge = makeJudge(config, classifier ? &*classifier : nullptr);

  EvalSampling sampling = a.sampling;
  sampling.use_ema = !a.raw;
  Dataset reference = referenceData(a, config);
  // Held-out examples past the reference, for the baselines.
  const int64_t kept = std::min(a.reference_count, reference.size());
  const torch::Tensor second_draw = reference.data.slice(0, kept, kept + sampling.count);
  reference.data = reference.data.slice(0, 0, kept);
  nlohmann::json report = {{"checkpoint", a.checkpoint},
                           {"count", sampling.count},
                           {"seed", sampling.seed},
                           {"reference", reference.name},
                           {"reference_count", reference.size()}};

  // Quality against K' (§6 step-size adjustment): unconditional (∅) samples.
  std::optional<Gaussian> ref_classifier, ref_inception;
  if (classifier) ref_classifier = fitGaussian(classifierFeatures(*classifier, reference.data));
  if (inception) ref_inception = fitGaussian((*inception)(reference.data));
  // The table's metric: energy distance of 2-D points, Fréchet distance in classifier features.
  const std::function<double(const torch::Tensor&)> quality_of = [&](const torch::Tensor& x) {
    if (!config.isImage()) return energyDistance(x, reference.data);
    return frechetDistance(fitGaussian(classifierFeatures(*classifier, x)), *ref_classifier);
  };
  const char* quality_key = config.isImage() ? "frechet_distance" : "energy_distance";
  const char* metric = config.isImage() ? "FD (classifier)" : "energy distance";
  std::function<PrecisionRecall(const torch::Tensor&)> support_of;
  // Each set needs more points than the metric's neighbour count; with fewer (`-n 3`) the
  // energy distance is still printed.
  if (!config.isImage() && reference.size() > kPrecisionRecallNeighbours &&
      sampling.count > kPrecisionRecallNeighbours)
    support_of = [&](const torch::Tensor& x) { return precisionRecall(reference.data, x); };
  std::printf("\nK'  %-16s%s%s  images/s\n", distance ? metric : "",
              support_of ? "  precision  recall  coverage" : "",
              inception ? "  FID (Inception)" : "");
  torch::Tensor first_unconditional;  // at the first K', for the concept shares
  const std::vector<int> steps = stepsToCompare(a, config);
  for (int k : steps) {
    EvalSampling s = sampling;
    s.steps = k;
    const auto drawn = drawSamples(*model, Condition::none(), s);
    if (!first_unconditional.defined()) first_unconditional = drawn.images;
    nlohmann::json row = {{"steps", k}, {"images_per_second", drawn.imagesPerSecond()}};
    double quality = 0;
    if (distance) {
      quality = quality_of(drawn.images);
      row[quality_key] = quality;
    }
    // Energy distances of unit-scale shapes are ~1e-4: three significant digits, as the baselines.
    if (distance)
      std::printf(config.isImage() ? "%-3d %-16.4f" : "%-3d %-16.3g", k, quality);
    else
      std::printf("%-3d %-16s", k, "");
    if (support_of) {
      const auto pr = support_of(drawn.images);
      row["precision"] = pr.precision;
      row["recall"] = pr.recall;
      row["coverage"] = pr.coverage;
      std::printf("  %-9.3f  %-6.3f  %-8.3f", pr.precision, pr.recall, pr.coverage);
    }
    if (inception) {
      const double fid = frechetDistance(fitGaussian((*inception)(drawn.images)), *ref_inception);
      row["fid"] = fid;
      std::printf("  %-15.3f", fid);
    }
    std::printf("  %.2f\n", drawn.imagesPerSecond());
    std::fflush(stdout);
    report["steps_table"].push_back(row);
  }

  if (distance) printBaselines(second_draw, reference.data, quality_of, support_of, report);
  if (judge) printConceptShares(config, *judge, steps.front(), first_unconditional, report);

  if (judge) {
    // The pooled samples hold every concept equally often, as held-out data roughly does: their
    // distance says how close the conditional models are, apart from the ∅ model's.
    const bool pooled_distance = distance && config.isImage();
    std::printf("\nguidance w  accuracy  %simages/s   (samples of each concept, judged by %s)\n",
                pooled_distance ? "FD (pooled)  " : "", judge->name.c_str());
    const auto rows = guidedAccuracy(*model, a.weights, sampling, *judge);
    for (const auto& row : rows) {
      nlohmann::json entry = {{"weight", row.weight},
                              {"accuracy", row.accuracy},
                              {"images_per_second", row.images_per_second}};
      for (size_t c = 0; c < row.concept_accuracy.size(); ++c)
        entry["concepts"][config.class_names[c]] = row.concept_accuracy[c];
      std::printf("%-10.2f  %-8.4f  ", row.weight, row.accuracy);
      if (pooled_distance) {
        const double pooled = quality_of(row.images);
        entry["pooled_frechet_distance"] = pooled;
        std::printf("%-11.4f  ", pooled);
      }
      std::printf("%.2f\n", row.images_per_second);
      std::fflush(stdout);
      report["guidance"].push_back(entry);
    }
    printConceptAccuracy(config, rows);
    if (!compositions.empty()) std::printf("\ncomposition  all concepts present\n");
    for (const auto& terms : compositions) {
      const double rate = compositionAccuracy(*model, terms, sampling, *judge);
      const std::string name = describeTerms(config, terms);
      std::printf("%-40s  %.4f\n", name.c_str(), rate);
      std::fflush(stdout);
      report["composition"].push_back({{"concepts", name}, {"accuracy", rate}});
    }
  }
  if (!a.json.empty()) writeFileAtomically(a.json, report.dump(2) + '\n');
}

}  // namespace

void addEvalCommand(CLI::App& app) {
  auto a = std::make_shared<EvalArgs>();
  auto* cmd = app.add_subcommand(
      "eval", "Measure a model: quality against Langevin steps, guided and composed accuracy");
  cmd->add_option("checkpoint", a->checkpoint,
                  "Checkpoint file (.safetensors, or the authors' .pth.tar)")
      ->required()
      ->check(CLI::ExistingFile);
  cmd->add_option("--classifier", a->classifier,
                  "Classifier from train-classifier: features for the Fréchet distance, and the "
                  "judge of conditional samples (shapes models use the exact detector)")
      ->check(CLI::ExistingFile);
  cmd->add_option("--inception", a->inception,
                  "TorchScript Inception-v3 ([N,3,299,299] in [0,1] → [N,2048]) for standard FID")
      ->check(CLI::ExistingFile);
  cmd->add_option("--data", a->data, "Reference data (default: the training data's held-out part)");
  cmd->add_option("--reference-count", a->reference_count, "Reference examples used")
      ->check(Positive)
      ->capture_default_str();
  cmd->add_option("-n,--count", a->sampling.count, "Samples per measurement")
      ->check(CLI::Range(2, 1000000))
      ->capture_default_str();
  cmd->add_option("--batch", a->sampling.batch, "Samples drawn at once")
      ->check(Positive)
      ->capture_default_str();
  cmd->add_option("--seed", a->sampling.seed,
                  "Seed of the draw (the samples do not depend on --batch)")
      ->check(NonNegative)
      ->capture_default_str();
  cmd->add_option("--steps", a->steps,
                  "Langevin steps per level to compare (K'; default: the model's K, then those "
                  "of 15, 8, 5, 3 below it)")
      ->delimiter(',')
      ->check(Positive);
  cmd->add_option("--guidance", a->weights, "Guidance weights for the guided accuracy")
      ->delimiter(',')
      ->check(NonNegative)
      ->capture_default_str();
  cmd->add_option("--compose", a->compose,
                  "Concepts to compose, comma-separated NAME=VALUE[:WEIGHT] (repeatable)");
  cmd->add_flag("--raw", a->raw, "Use the raw weights instead of the EMA weights");
  cmd->add_option("--json", a->json, "Also write the results as JSON");
  cmd->add_option("--device", a->device, "auto, cpu or cuda")
      ->check(CLI::IsMember({"auto", "cpu", "cuda"}));
  cmd->callback([a] { run(*a); });
}

}  // namespace cdrl::cli
