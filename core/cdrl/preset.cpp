#include "cdrl/preset.h"

#include <stdexcept>

namespace cdrl {

namespace {

// `toy2d`: residual MLPs for 2-D points, small enough that a useful model trains in a few minutes
// on 2 CPU cores. The log-SNR range is shifted towards clean data: at the image range, level 1's
// noise (σ 0.25) spans the gaps between thin 2-D structures. The rest is the toy2d study's tuned
// recipe (docs/models.md, "The toy2d study"): Fourier features give the MLPs the frequency that
// thin shapes need, and constant step scaling with a smaller base and K 30 keeps level 1's chain
// doing work (per-level scaling at this range gives it K·s²/β ≈ 0.006, so the last reverse step
// returned the initializer's posterior mean: haze between thin structures, shrunken blobs).
Preset toy2d() {
  Preset p;
  p.name = "toy2d";
  p.summary =
      "residual MLPs for 2-D points with 64 Fourier features (EBM 2×128 with spectral norm, "
      "initializer 2×128)";
  p.model.preset = p.name;
  p.model.data_shape = {2};
  p.model.schedule.lambda_min = -1.0;
  p.model.schedule.lambda_max = 14.0;
  p.model.ebm = {Architecture::Mlp, 128, {1, 1}, 1, {}, 0.0, 32, 32, true};
  p.model.initializer = {Architecture::Mlp, 128, {1, 1}, 1, {}, 0.0, 32, 32, false};
  for (NetworkConfig* net : {&p.model.ebm, &p.model.initializer}) {
    net->fourier_features = 64;
    net->fourier_scale = 1.0;
  }
  p.model.schedule.step_scaling = StepScaling::Constant;
  p.model.schedule.step_base = 4.56e-6;  // K·s²/β = 0.3 per level: half-size steps, twice as many
  p.model.schedule.K = 30;
  p.training.steps = 4000;
  p.training.batch = 256;
  p.training.lr_ebm = 1e-4;
  p.training.lr_init = 1e-3;
  p.training.warmup = 200;
  p.training.init_warmup_start = 0;
  p.training.ema_decay = 0.995;
  p.training.log_every = 100;
  p.training.checkpoint_every = 1000;
  return p;
}

// `fmnist-tiny`: a 3-resolution conv EBM (16/32/32 channels) and a 2-resolution U-Net (16/32)
// for 28×28×1, sized so one K = 15, batch-64 iteration takes about a second on 2 CPU cores.
Preset fmnistTiny() {
  Preset p;
  p.name = "fmnist-tiny";
  p.summary = "conv EBM 16/32/32 ch + U-Net 16/32 ch for 28×28 grey images (CPU-sized)";
  p.model.preset = p.name;
  p.model.data_shape = {1, 28, 28};
  p.model.ebm = {Architecture::ConvEbm, 16, {1, 2, 2}, 1, {}, 0.0, 8, 32, true};
  p.model.initializer = {Architecture::UNet, 16, {1, 2}, 1, {14}, 0.0, 8, 32, false};
  // The recipe study's winner at equal CPU time (docs/models.md, "Recipe study": r4).
  p.training.steps = 20000;
  p.training.batch = 32;
  p.training.lr_ebm = 3e-4;
  p.training.lr_init = 1e-4;
  p.training.warmup = 200;
  p.training.init_warmup_start = 0;
  p.training.ema_decay = 0.995;
  p.training.log_every = 20;
  p.training.checkpoint_every = 200;
  return p;
}

// `shapes-tiny`: fmnist-tiny's networks for 32×32 RGB, sized for the procedural `shapes` attribute
// data (flat colours learn fast), so an attribute-conditional model trains on 2 CPU cores.
Preset shapesTiny() {
  Preset p = fmnistTiny();
  p.name = "shapes-tiny";
  p.summary = "conv EBM 16/32/32 ch + U-Net 16/32 ch for 32×32 RGB images (CPU-sized)";
  p.model.preset = p.name;
  p.model.data_shape = {3, 32, 32};
  p.model.initializer.attention_resolutions = {16};
  p.training.steps = 3000;
  return p;
}

// `faces-tiny`: shapes-tiny's networks for the procedural `faces` data (32×32 RGB, six of CelebA's
// attributes), attribute-conditional composition on 2 CPU cores.
Preset facesTiny() {
  Preset p = shapesTiny();
  p.name = "faces-tiny";
  p.summary = "conv EBM 16/32/32 ch + U-Net 16/32 ch for 32×32 RGB faces (CPU-sized)";
  p.model.preset = p.name;
  p.training.steps = 20000;
  // fmnist-tiny's rates (3e-4 / 1e-4) ran away on faces at step ~2 700 (docs/models.md).
  p.training.lr_ebm = 1e-4;
  p.training.lr_init = 5e-5;
  return p;
}

// `cifar10-paper`: the reference CIFAR-10 architectures of ALGORITHM.md §3, for GPU users.
Preset cifar10Paper() {
  Preset p;
  p.name = "cifar10-paper";
  p.summary =
      "the paper's CIFAR-10 EBM (128 ch, ×1,2,2,2, 8 blocks) and U-Net (64 ch, attention at 16, 8)";
  p.model.preset = p.name;
  p.model.data_shape = {3, 32, 32};
  p.model.ebm = {Architecture::ConvEbm, 128, {1, 2, 2, 2}, 8, {}, 0.0, 32, 128, true};
  p.model.initializer = {Architecture::UNet, 64, {1, 1, 1}, 3, {16, 8}, 0.1, 32, 64, false, 1e-6};
  p.training.steps = 400000;
  p.training.batch = 256;
  p.training.log_every = 100;
  p.training.checkpoint_every = 5000;
  return p;
}

}  // namespace

std::vector<std::string> presetNames() {
  return {"toy2d", "fmnist-tiny", "shapes-tiny", "faces-tiny", "cifar10-paper"};
}

Preset preset(const std::string& name) {
  if (name == "toy2d") return toy2d();
  if (name == "fmnist-tiny") return fmnistTiny();
  if (name == "shapes-tiny") return shapesTiny();
  if (name == "faces-tiny") return facesTiny();
  if (name == "cifar10-paper") return cifar10Paper();
  throw std::invalid_argument(
      "unknown preset '" + name +
      "' (expected toy2d, fmnist-tiny, shapes-tiny, faces-tiny or cifar10-paper)");
}

ModelConfig presetFor(const std::string& name, const Dataset& data, bool conditional) {
  ModelConfig config = preset(name).model;
  const auto shape = data.exampleShape();
  if (shape.size() != config.data_shape.size() ||
      (shape.size() == 3 && shape[0] != config.data_shape[0]))
    throw std::invalid_argument("preset " + name + " does not fit data '" + data.name + "'");
  config.data_shape = shape;
  config.dataset = data.name;
  config.data_shift = data.shift;
  config.data_scale = data.scale;
  if (conditional) {
    if (!data.attribute_names.empty()) {
      // Each attribute value is a concept: "<name>=0", "<name>=1" (dataset.h).
      for (const auto& name : data.attribute_names)
        for (int v = 0; v < 2; ++v) config.class_names.push_back(name + "=" + std::to_string(v));
    } else if (!data.class_names.empty()) {
      config.class_names = data.class_names;
    } else {
      throw std::invalid_argument("data '" + data.name + "' has no labels for a conditional model");
    }
    config.num_classes = static_cast<int64_t>(config.class_names.size());
  }
  config.validate();
  return config;
}

}  // namespace cdrl
