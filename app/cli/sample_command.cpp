// `cdrl sample`: Algorithm 2 from a checkpoint, written as a PNG grid (or scatter plot), a
// per-level strip, and raw samples for other tools.
#include "cdrl/concepts.h"
#include "cdrl/model_checkpoint.h"
#include "cdrl/sampler.h"
#include "commands.h"
#include "data/data_source.h"
#include "data/image_io.h"
#include "data/point_csv.h"
#include "open_checkpoint.h"
#include "runtime/device.h"
#include "runtime/limits.h"
#include "sample_strip.h"

#include <algorithm>
#include <cmath>
#include <cstdio>
#include <utility>

namespace cdrl::cli {

namespace {

constexpr int64_t kCallElements = int64_t{1} << 20;  // values per sample() call (4 MiB a tensor)
constexpr int64_t kMaxGridImages = 1024;             // the PNG grid: 32 × 32 images at most

struct SampleArgs {
  std::string checkpoint;
  int64_t count = 64;
  uint64_t seed = 0;
  int steps = 0;
  bool raw = false;
  bool no_noise = false;
  bool no_denoise = false;
  int64_t label = -1;
  double guidance = 0.0;
  bool class_grid = false;
  std::vector<std::string> concepts;
  std::string out = "samples.png";
  std::string strip;
  std::string csv;
  std::string images;
  std::string tensors;
  std::string device = "auto";
};

// The training data as a grey backdrop for 2-D scatter plots, when it can be loaded again.
torch::Tensor referencePoints(const ModelConfig& config) {
  try {
    return loadDataset(config.dataset).data.slice(0, 0, 5000);
  } catch (const std::exception&) {
    return {};
  }
}

// `count` samples drawn in calls of at most kCallElements values; `on_level` sees the first call's
// levels.
torch::Tensor drawInCalls(Model& model, SampleOptions options, int64_t count,
                          const LevelCallback& on_level) {
  const int64_t per_call =
      std::clamp<int64_t>(kCallElements / model.config().exampleElements(), 1, count);
  std::vector<torch::Tensor> parts;
  for (int64_t done = 0; done < count; done += options.count) {
    options.first_row = done;
    options.count = std::min(per_call, count - done);
    parts.push_back(sample(model, options, done == 0 ? on_level : LevelCallback{}).samples);
    if (options.count < count)
      std::fprintf(stderr, "cdrl sample: %lld of %lld samples\n",
                   static_cast<long long>(done + options.count), static_cast<long long>(count));
  }
  return parts.size() == 1 ? parts.front() : torch::cat(parts);
}

void run(const SampleArgs& a) {
  const auto device = selectDevice(devicePreferenceFromString(a.device));
  const Checkpoint checkpoint = openCheckpointFile(a.checkpoint);
  auto model = loadModel(checkpoint, device);
  const ModelConfig& config = model->config();

  // Refuse outputs that cannot be written before any sampling time is spent.
  for (const auto& [flag, path] : {std::pair<const char*, const std::string&>{"-o", a.out},
                                   {"--strip", a.strip},
                                   {"--csv", a.csv},
                                   {"--tensors", a.tensors}})
    refuseOverwritingInput(flag, path, a.checkpoint);
  if (!a.csv.empty() && config.isImage())
    throw std::runtime_error("--csv is for 2-D point models; use --images");
  if (!a.images.empty() && !config.isImage())
    throw std::runtime_error("--images is for image models; use --csv");

  SampleOptions options;
  options.count = a.count;
  options.seed = a.seed;
  options.steps = a.steps;
  options.use_ema = !a.raw;
  options.noise = !a.no_noise;
  options.denoise = !a.no_denoise;
  if (a.label >= 0) {
    if (config.num_classes == 0) throw std::runtime_error("--class: the model is unconditional");
    if (a.label >= config.num_classes)
      throw std::runtime_error("--class " + std::to_string(a.label) +
                               ": the model has classes 0.." +
                               std::to_string(config.num_classes - 1));
    options.condition = Condition::guided(a.label + 1, a.guidance);
  } else if (a.guidance != 0.0 && !a.class_grid) {
    throw std::runtime_error("--guidance needs --class or --class-grid");
  }
  if (a.class_grid) {
    if (config.num_classes == 0)
      throw std::runtime_error("--class-grid: the model is unconditional");
    if (!config.isImage()) throw std::runtime_error("--class-grid is for image models");
    if (a.label >= 0 || !a.concepts.empty())
      throw std::runtime_error("--class-grid draws every class; drop --class and --concept");
    if (!a.csv.empty() || !a.strip.empty())
      throw std::runtime_error("--class-grid writes the grid (-o), --images and --tensors only");
  }
  if (!a.concepts.empty()) {
    if (a.label >= 0) throw std::runtime_error("--concept and --class cannot be combined");
    std::vector<ConditionTerm> terms;
    for (const auto& spec : a.concepts) terms.push_back(parseConceptTerm(config, spec));
    options.condition = Condition::composed(terms);
  }

  // Memory is bounded by the call size, not by -n: each row's noise is its own
  // (SampleOptions::first_row), so calls of kCallElements give the samples one call would.
  const auto example_bytes = static_cast<double>(config.exampleElements()) * sizeof(float);
  const int64_t rows = a.class_grid ? config.num_classes : 1;
  limits::checkMemory(std::to_string(rows * a.count) + " samples",
                      static_cast<double>(rows * a.count) * example_bytes);
  std::vector<LevelTrace> traces;
  const auto on_level = [&](const LevelTrace& trace) {
    std::fprintf(stderr, "level %d/%d  F(ŷ) %.4g → F(ỹ) %.4g\n", trace.level, trace.levels,
                 trace.energy_proposal, trace.energy_refined);
    if (!a.strip.empty()) traces.push_back(trace);
  };
  std::vector<torch::Tensor> parts;
  for (int64_t row = 0; row < rows; ++row) {
    // One row per class, all drawn from the same noise, so rows differ by their class only.
    if (a.class_grid) options.condition = Condition::guided(row + 1, a.guidance);
    parts.push_back(drawInCalls(*model, options, a.count, row == 0 ? on_level : LevelCallback{}));
  }
  const auto x = parts.size() == 1 ? parts.front() : torch::cat(parts);
  parts.clear();
  if (!torch::isfinite(x).all().item<bool>())
    std::fprintf(stderr, "cdrl sample: warning: some samples are not finite\n");

  if (config.isImage()) {
    const int64_t total = x.size(0);
    const int64_t shown = std::min(total, kMaxGridImages);
    if (shown < total)
      std::fprintf(stderr,
                   "cdrl sample: the grid shows the first %lld samples; --images writes all\n",
                   static_cast<long long>(shown));
    // A class grid has one row per class; otherwise the grid is as square as it can be.
    const int columns = a.class_grid
                            ? static_cast<int>(a.count)
                            : static_cast<int>(std::ceil(std::sqrt(static_cast<double>(shown))));
    writePng(a.out,
             toImageGrid(x.slice(0, 0, shown), columns, 2, config.data_shape[1] < 64 ? 2 : 1));
  } else {
    writePng(a.out, scatterPlot(x, referencePoints(config)));
  }
  std::fprintf(stderr, "cdrl sample: %lld samples (seed %llu) → %s\n",
               static_cast<long long>(x.size(0)), static_cast<unsigned long long>(a.seed),
               a.out.c_str());
  if (!a.strip.empty()) writePng(a.strip, levelStrip(traces, config));
  if (!a.csv.empty()) writePointCsv(a.csv, x, config.data_shift, config.data_scale);
  if (!a.images.empty()) writeImageFiles(a.images, x, "sample");
  if (!a.tensors.empty()) {
    TensorFile file;
    file.metadata["checkpoint"] = a.checkpoint;
    file.metadata["seed"] = std::to_string(a.seed);
    file.metadata["steps"] = std::to_string(a.steps > 0 ? a.steps : config.schedule.K);
    file.tensors["samples"] = x.contiguous();
    writeTensorFile(a.tensors, file);
  }
}

}  // namespace

void addSampleCommand(CLI::App& app) {
  auto a = std::make_shared<SampleArgs>();
  auto* cmd = app.add_subcommand("sample", "Draw samples from a checkpoint (Algorithm 2)");
  cmd->add_option("checkpoint", a->checkpoint,
                  "Checkpoint file (.safetensors, or the authors' .pth.tar)")
      ->required()
      ->check(CLI::ExistingFile);
  cmd->add_option("-n,--count", a->count, "Number of samples")
      ->check(CLI::Range(int64_t{1}, limits::kMaxSamples))
      ->capture_default_str();
  cmd->add_option("--seed", a->seed, "Seed (same seed and options give the same samples)")
      ->check(NonNegative)
      ->capture_default_str();
  cmd->add_option("-K,--steps", a->steps,
                  "Langevin steps per level K' (0 = as trained; step size adjusted)")
      ->check(CLI::Range(0, 1000))
      ->capture_default_str();
  cmd->add_flag("--raw", a->raw, "Use the raw weights instead of the EMA weights");
  cmd->add_flag("--no-noise", a->no_noise, "Turn off proposal and Langevin noise");
  cmd->add_flag("--no-denoise", a->no_denoise, "Skip the final Tweedie denoising step");
  cmd->add_option("--class", a->label, "Class index for a class-conditional model")
      ->check(NonNegative);
  cmd->add_option("--guidance", a->guidance, "Classifier-free guidance weight w (with --class)")
      ->capture_default_str();
  cmd->add_flag("--class-grid", a->class_grid,
                "One row of -n samples per class, rows in class order (with --guidance)");
  cmd->add_option(
      "--concept", a->concepts,
      "Compose concepts: NAME=VALUE[:WEIGHT] (repeatable; attribute or class names, see info)");
  cmd->add_option("-o,--out", a->out, "PNG: image grid, or scatter plot for 2-D models")
      ->capture_default_str();
  cmd->add_option("--strip", a->strip,
                  "PNG: per-level strip (x_i, proposal, refined for each level)");
  cmd->add_option("--csv", a->csv, "CSV: the 2-D samples in the data's own units");
  cmd->add_option("--images", a->images, "Folder: one PNG per sampled image");
  cmd->add_option("--tensors", a->tensors, "safetensors file holding the raw samples tensor");
  cmd->add_option("--device", a->device, "auto, cpu or cuda")
      ->check(CLI::IsMember({"auto", "cpu", "cuda"}))
      ->capture_default_str();
  cmd->callback([a] { run(*a); });
}

}  // namespace cdrl::cli
