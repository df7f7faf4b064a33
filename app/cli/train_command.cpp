// `cdrl train`: Algorithm 1 with progress, metrics, atomic checkpoints, resume and Ctrl-C.
#include "checkpoint.h"
#include "commands.h"
#include "data_source.h"
#include "device.h"
#include "metrics_log.h"
#include "preset.h"
#include "progress.h"

#include <atomic>
#include <chrono>
#include <csignal>
#include <cstdio>
#include <filesystem>
#include <optional>

namespace cdrl::cli {

namespace {

std::atomic<bool> g_interrupted{false};

struct TrainArgs {
  std::string preset = "toy2d";
  std::string data;
  std::string out;
  std::string resume;
  std::string device = "auto";
  bool conditional = false;
  uint64_t data_seed = 0;
  std::optional<int64_t> steps, batch, log_every, checkpoint_every, warmup;
  std::optional<uint64_t> seed;
  std::optional<double> lr_ebm, lr_init, ema_decay;
  std::optional<int> K;
};

template <typename T>
void override(T& field, const std::optional<T>& value) {
  if (value) field = *value;
}

TrainOptions trainOptions(const TrainArgs& a, TrainOptions o) {
  override(o.steps, a.steps);
  override(o.batch, a.batch);
  override(o.log_every, a.log_every);
  override(o.checkpoint_every, a.checkpoint_every);
  override(o.warmup, a.warmup);
  override(o.seed, a.seed);
  override(o.lr_ebm, a.lr_ebm);
  override(o.lr_init, a.lr_init);
  override(o.ema_decay, a.ema_decay);
  o.validate();
  return o;
}

void run(const TrainArgs& args) {
  namespace fs = std::filesystem;
  const auto device = selectDevice(devicePreferenceFromString(args.device));
  std::error_code ec;
  fs::create_directories(args.out, ec);
  if (ec) throw std::runtime_error("cannot create output folder " + args.out + ": " + ec.message());
  const std::string checkpoint_path = (fs::path(args.out) / "checkpoint.safetensors").string();

  std::optional<Checkpoint> resumed;
  if (!args.resume.empty()) resumed = readCheckpoint(args.resume);
  const std::string data_spec = !args.data.empty() ? args.data
                                : resumed          ? resumed->config.dataset
                                                   : "";
  if (data_spec.empty()) throw std::runtime_error("--data is required (" + dataSpecHelp() + ")");
  const Preset base = preset(resumed ? resumed->config.preset : args.preset);
  // Image files are brought to the preset's channels and size.
  const auto& shape = resumed ? resumed->config.data_shape : base.model.data_shape;
  ImageLoadOptions image;
  if (shape.size() == 3) {
    image.channels = static_cast<int>(shape[0]);
    image.size = shape[1];
  }
  const Dataset data = loadDataset(data_spec, args.data_seed, image);
  // A resumed run keeps its own options; flags given now override them.
  if (resumed && !resumed->training)
    std::fprintf(stderr,
                 "cdrl train: %s predates stored training options; options not given now take "
                 "the preset's defaults\n",
                 args.resume.c_str());
  const TrainOptions options =
      trainOptions(args, resumed && resumed->training ? *resumed->training : base.training);

  ModelConfig config = resumed ? resumed->config : presetFor(args.preset, data, args.conditional);
  if (args.K) config.schedule.K = *args.K;
  torch::manual_seed(options.seed);  // initial weights
  std::unique_ptr<Model> model =
      resumed ? loadModel(*resumed, device) : std::make_unique<Model>(config, device);
  Trainer trainer(*model, data, options);
  if (resumed) restoreTrainer(*resumed, trainer);
  if (trainer.stepsDone() >= options.steps)
    throw std::runtime_error("nothing to do: the run is already at step " +
                             std::to_string(trainer.stepsDone()) + " (raise --steps)");

  MetricsLog metrics((fs::path(args.out) / "metrics.jsonl").string());
  std::fprintf(
      stderr, "cdrl train: preset %s, data %s (%lld examples), %s, steps %lld → %lld, batch %lld\n",
      config.preset.c_str(), data.name.c_str(), static_cast<long long>(data.size()),
      describeDevice(device).c_str(), static_cast<long long>(trainer.stepsDone()),
      static_cast<long long>(options.steps), static_cast<long long>(options.batch));

  g_interrupted = false;
  auto previous = std::signal(SIGINT, [](int) { g_interrupted = true; });
  Progress progress(trainer.stepsDone(), options.steps);
  const auto start = std::chrono::steady_clock::now();
  auto interval_start = start;
  int64_t interval_steps = 0;
  try {
    while (trainer.stepsDone() < options.steps && !g_interrupted) {
      const StepStats stats = trainer.step();
      ++interval_steps;
      progress.update(stats.step, "L_θ " + Progress::number(stats.loss_ebm) + "  L_φ " +
                                      Progress::number(stats.loss_init));
      const bool last = stats.step == options.steps;
      if (stats.step % options.log_every == 0 || last) {
        const auto now = std::chrono::steady_clock::now();
        const double interval = std::chrono::duration<double>(now - interval_start).count();
        ThroughputStats t{std::chrono::duration<double>(now - start).count(),
                          interval_steps * options.batch / std::max(interval, 1e-9)};
        metrics.write(metricsLine(stats, t));
        interval_start = now;
        interval_steps = 0;
      }
      if (stats.step % options.checkpoint_every == 0 || last)
        saveCheckpoint(checkpoint_path, *model, &trainer);
    }
  } catch (const DivergedError& e) {
    std::signal(SIGINT, previous);
    progress.finish();
    throw CommandExit(kExitDiverged, std::string("error: ") + e.what() +
                                         "; the last good checkpoint is kept at " +
                                         checkpoint_path);
  }
  std::signal(SIGINT, previous);
  progress.finish();
  if (g_interrupted) {
    saveCheckpoint(checkpoint_path, *model, &trainer);
    throw CommandExit(kExitCancelled, "interrupted at step " + std::to_string(trainer.stepsDone()) +
                                          "; checkpoint saved to " + checkpoint_path +
                                          " (continue with --resume)");
  }
  std::fprintf(stderr, "cdrl train: done, checkpoint %s\n", checkpoint_path.c_str());
}

}  // namespace

void addTrainCommand(CLI::App& app) {
  auto args = std::make_shared<TrainArgs>();
  auto* cmd =
      app.add_subcommand("train", "Train a model (Algorithm 1) and write checkpoints and metrics");
  cmd->add_option("--preset", args->preset,
                  "Model preset: toy2d, fmnist-tiny, shapes-tiny or cifar10-paper")
      ->check(CLI::IsMember(presetNames()))
      ->capture_default_str();
  cmd->add_option("--data", args->data, "Training data: " + dataSpecHelp());
  cmd->add_option("-o,--out", args->out, "Output folder (checkpoint.safetensors, metrics.jsonl)")
      ->required();
  cmd->add_option("--resume", args->resume,
                  "Continue from this checkpoint (its preset, data and training options are "
                  "reused; flags given override them)")
      ->check(CLI::ExistingFile);
  cmd->add_option("--steps", args->steps, "Total optimiser steps to reach (preset default)")
      ->check(CLI::PositiveNumber);
  cmd->add_option("--batch", args->batch, "Minibatch size (preset default)")
      ->check(CLI::PositiveNumber);
  cmd->add_option("--seed", args->seed, "Seed for weights, data order and noise (default 0)");
  cmd->add_option("--data-seed", args->data_seed, "Seed for generated toy data")
      ->capture_default_str();
  cmd->add_option("--log-every", args->log_every, "Metrics line every N steps")
      ->check(CLI::PositiveNumber);
  cmd->add_option("--checkpoint-every", args->checkpoint_every, "Checkpoint every N steps")
      ->check(CLI::PositiveNumber);
  cmd->add_option("--warmup", args->warmup, "Learning-rate warm-up steps")
      ->check(CLI::PositiveNumber);
  cmd->add_option("--lr-ebm", args->lr_ebm, "EBM learning rate")->check(CLI::PositiveNumber);
  cmd->add_option("--lr-init", args->lr_init, "Initializer learning rate")
      ->check(CLI::PositiveNumber);
  cmd->add_option("--ema", args->ema_decay, "EMA decay")->check(CLI::Range(0.0, 0.999999));
  cmd->add_option("-K,--langevin-steps", args->K,
                  "Langevin steps per level in training (default 15)")
      ->check(CLI::Range(1, 1000));
  cmd->add_flag("--conditional", args->conditional,
                "Class-conditional model (needs labelled data)");
  cmd->add_option("--device", args->device, "auto, cpu or cuda")
      ->check(CLI::IsMember({"auto", "cpu", "cuda"}))
      ->capture_default_str();
  cmd->callback([args] { run(*args); });
}

}  // namespace cdrl::cli
