// `cdrl calibrate`: fits the typicality score (eval/typicality) on held-out in-distribution data
// and stores it in the checkpoint, so `cdrl ood` and the studio score with it.
#include "cdrl/model_checkpoint.h"
#include "commands.h"
#include "data/data_source.h"
#include "data/ood_inputs.h"
#include "eval/calibration_file.h"
#include "io/torch_archive.h"
#include "open_checkpoint.h"
#include "progress.h"
#include "runtime/device.h"

#include <cstdio>

namespace cdrl::cli {

namespace {

struct CalibrateArgs {
  std::string checkpoint;
  std::string data;  // default: the held-out part of the model's training data
  int64_t count = 2000;
  TypicalityOptions options;
  std::string out;  // default: the checkpoint itself
  bool raw = false;
  std::string device = "auto";
};

// The last `count` examples of `spec` (the first ones stay free for evaluations that take a set's
// first examples, as `cdrl ood --limit` does).
torch::Tensor heldOutExamples(const HeldOutData& data, const ModelConfig& config, int64_t count) {
  const OodInputs inputs = loadOodInputs({data.spec}, config, /*limit=*/1000000, data.seed);
  if (inputs.x.size(0) < 2)
    throw std::runtime_error("calibration data " + data.spec + " has fewer than 2 examples");
  const int64_t n = std::min(count, inputs.x.size(0));
  return inputs.x.slice(0, inputs.x.size(0) - n);
}

void run(const CalibrateArgs& a) {
  const auto device = selectDevice(devicePreferenceFromString(a.device));
  if (a.out.empty() && looksLikeTorchArchive(a.checkpoint))
    throw std::runtime_error(a.checkpoint +
                             " is a torch.save file, which calibrate never overwrites: give -o "
                             "OUT.safetensors, or `cdrl import` it first");
  const Checkpoint checkpoint = openCheckpointFile(a.checkpoint);
  auto model = loadModel(checkpoint, device);
  HeldOutData data{a.data, 0};
  if (data.spec.empty()) {
    data = heldOutData(model->config().dataset);
    if (data.spec.empty())
      throw std::runtime_error("the model's data (" + model->config().dataset +
                               ") has no held-out part: give --data");
  }
  const std::string& spec = data.spec;
  const torch::Tensor x = heldOutExamples(data, model->config(), a.count);
  std::fprintf(stderr, "cdrl calibrate: %lld examples of %s, %d noise draws per level\n",
               static_cast<long long>(x.size(0)), spec.c_str(), a.options.draws);
  TypicalityOptions options = a.options;
  options.use_ema = !a.raw;
  Progress progress(0, x.size(0));
  const Calibration c = calibrate(*model, x, options, spec, nullptr, [&](int64_t done, int64_t) {
    progress.update(done, "examples");
  });
  progress.finish();
  const std::string out = a.out.empty() ? a.checkpoint : a.out;
  Checkpoint target = checkpoint;
  storeCalibration(target.file, c);
  writeCheckpoint(out, target);
  std::printf(
      "calibrated on %lld examples of %s: in-distribution score median %.4g, 5th "
      "percentile %.4g (shrinkage %.3f); written to %s\n",
      static_cast<long long>(c.count), spec.c_str(),
      c.quantiles[kCalibrationQuantiles / 2].item<double>(),
      c.quantiles[(kCalibrationQuantiles - 1) / 20].item<double>(), c.fit.shrinkage, out.c_str());
}

}  // namespace

void addCalibrateCommand(CLI::App& app) {
  auto a = std::make_shared<CalibrateArgs>();
  auto* cmd =
      app.add_subcommand("calibrate",
                         "Fit the typicality OOD score on in-distribution data and store it in the "
                         "checkpoint");
  cmd->add_option("checkpoint", a->checkpoint,
                  "Checkpoint file (.safetensors, or the authors' .pth.tar)")
      ->required()
      ->check(CLI::ExistingFile);
  cmd->add_option("--data", a->data,
                  "In-distribution data (default: the held-out part of the model's data); its "
                  "last N examples are used");
  cmd->add_option("-n,--count", a->count, "Examples to fit on")
      ->check(CLI::Range(int64_t{2}, int64_t{1000000}))
      ->capture_default_str();
  cmd->add_option("--draws", a->options.draws, "Fixed noise draws averaged per level")
      ->check(CLI::Range(1, 64))
      ->capture_default_str();
  cmd->add_option("--seed", a->options.seed, "Seed of the fixed noise")
      ->check(NonNegative)
      ->capture_default_str();
  cmd->add_option("-o,--out", a->out, "Write the calibrated checkpoint here (default: in place)");
  cmd->add_flag("--raw", a->raw, "Use the raw weights instead of the EMA weights");
  cmd->add_option("--device", a->device, "auto, cpu or cuda")
      ->check(CLI::IsMember({"auto", "cpu", "cuda"}));
  cmd->callback([a] { run(*a); });
}

}  // namespace cdrl::cli
