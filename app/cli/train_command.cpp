// `cdrl train`: Algorithm 1 with progress, metrics, atomic checkpoints, resume and Ctrl-C.
#include "cdrl/preset.h"
#include "cdrl/training_run.h"
#include "commands.h"
#include "data/data_source.h"
#include "progress.h"
#include "runtime/limits.h"

#include <array>
#include <atomic>
#include <csignal>
#include <cstdio>
#include <filesystem>

namespace cdrl::cli {

namespace {

std::atomic<bool> g_interrupted{false};

// While alive, SIGINT, SIGTERM and SIGHUP set g_interrupted instead of ending the program.
class SignalsStop {
 public:
  SignalsStop() {
    for (size_t k = 0; k < kSignals.size(); ++k)
      m_previous[k] = std::signal(kSignals[k], [](int) { g_interrupted = true; });
  }
  ~SignalsStop() {
    for (size_t k = 0; k < kSignals.size(); ++k) std::signal(kSignals[k], m_previous[k]);
  }
  SignalsStop(const SignalsStop&) = delete;
  SignalsStop& operator=(const SignalsStop&) = delete;

 private:
  static constexpr std::array<int, 3> kSignals{SIGINT, SIGTERM, SIGHUP};
  std::array<void (*)(int), 3> m_previous{};
};

// Bytes of gradients and statistics each rank all-reduces per step.
int64_t bytesPerStep(TrainingSetup& setup) {
  int64_t n = 0;
  for (auto* net : std::initializer_list<torch::nn::Module*>{setup.model->ebm().get(),
                                                             setup.model->initializer().get()})
    for (const auto& p : net->parameters()) n += static_cast<int64_t>(p.nbytes());
  return n + static_cast<int64_t>(sizeof(double)) * 5 * (setup.model->schedule().T() + 2);
}

void run(TrainRequest request) {
  request.group = processGroupFromEnvironment();
  TrainingSetup setup = prepareTraining(request);
  const bool leader = setup.writes();  // the other ranks print only their errors
  if (!setup.note.empty() && leader) std::fprintf(stderr, "cdrl train: %s\n", setup.note.c_str());
  const TrainOptions& options = setup.options;
  const Trainer& trainer = *setup.trainer;
  if (leader)
    std::fprintf(
        stderr,
        "cdrl train: preset %s, data %s (%lld examples), %s, steps %lld → %lld, batch %lld\n",
        setup.model->config().preset.c_str(), setup.data->name.c_str(),
        static_cast<long long>(setup.data->size()), describeDevice(setup.device).c_str(),
        static_cast<long long>(trainer.stepsDone()), static_cast<long long>(options.steps),
        static_cast<long long>(options.batch));
  if (setup.group && leader)
    std::fprintf(stderr,
                 "cdrl train: %d ranks over %s, %s; each rank trains %lld of the batch's rows "
                 "and all-reduces %s per step\n",
                 setup.group->size(), setup.group->backend().c_str(),
                 setup.group->spec().describe().c_str(),
                 static_cast<long long>(setup.group->rowsOf(options.batch).size()),
                 limits::formatBytes(static_cast<double>(bytesPerStep(setup))).c_str());

  // SIGINT (Ctrl-C), SIGTERM (kill, schedulers) and SIGHUP (a closed terminal) all stop at the next
  // step boundary with the checkpoint saved.
  g_interrupted = false;
  SignalsStop stop;
  Progress progress(trainer.stepsDone(), options.steps);
  const std::string rank = setup.group ? " (rank " + std::to_string(setup.group->rank()) + ")" : "";
  RunEnd end = RunEnd::Finished;
  try {
    end = runTraining(setup, g_interrupted, [&](const StepStats& stats) {
      if (leader)
        progress.update(stats.step, "L_θ " + Progress::number(stats.loss_ebm) + "  L_φ " +
                                        Progress::number(stats.loss_init));
    });
  } catch (const DivergedError& e) {
    if (leader) progress.finish();
    // A new run that diverges before its first checkpoint has none to keep.
    const bool kept = std::filesystem::exists(setup.checkpoint_path);
    throw CommandExit(kExitDiverged,
                      std::string("error") + rank + ": " + e.what() +
                          (kept ? "; the last good checkpoint is kept at " + setup.checkpoint_path
                                : "; no checkpoint had been written yet"));
  }
  if (leader) progress.finish();
  if (end == RunEnd::Stopped)
    throw CommandExit(kExitCancelled, "interrupted at step " + std::to_string(trainer.stepsDone()) +
                                          rank + "; checkpoint saved to " + setup.checkpoint_path +
                                          " (continue with --resume)");
  if (leader)
    std::fprintf(stderr, "cdrl train: done, checkpoint %s\n", setup.checkpoint_path.c_str());
}

}  // namespace

void addTrainCommand(CLI::App& app) {
  auto args = std::make_shared<TrainRequest>();
  auto device = std::make_shared<std::string>("auto");
  auto timeout = std::make_shared<int64_t>(600);
  TrainOverrides& o = args->overrides;
  auto* cmd =
      app.add_subcommand("train", "Train a model (Algorithm 1) and write checkpoints and metrics");
  cmd->add_option("--preset", args->preset,
                  "Model preset: toy2d (default), fmnist-tiny, shapes-tiny, faces-tiny or "
                  "cifar10-paper")
      ->check(CLI::IsMember(presetNames()));
  cmd->add_option("--data", args->data, "Training data: " + dataSpecHelp());
  cmd->add_option("-o,--out", args->out, "Output folder (checkpoint.safetensors, metrics.jsonl)")
      ->required();
  cmd->add_option("--resume", args->resume,
                  "Continue from this checkpoint (its preset, data and training options are "
                  "reused; --data, -K and training options given override them)")
      ->check(CLI::ExistingFile);
  cmd->add_option("--steps", o.steps, "Total optimiser steps to reach (preset default)")
      ->check(Positive);
  cmd->add_option("--batch", o.batch, "Minibatch size (preset default)")->check(Positive);
  cmd->add_option("--seed", o.seed, "Seed for weights, data order and noise (default 0)")
      ->check(NonNegative);
  cmd->add_option("--data-seed", args->data_seed, "Seed for generated toy data")
      ->check(NonNegative)
      ->capture_default_str();
  cmd->add_option("--log-every", o.log_every, "Metrics line every N steps")->check(Positive);
  cmd->add_option("--checkpoint-every", o.checkpoint_every, "Checkpoint every N steps")
      ->check(Positive);
  cmd->add_option("--warmup", o.warmup, "Learning-rate warm-up steps")->check(Positive);
  cmd->add_option("--lr-ebm", o.lr_ebm, "EBM learning rate")->check(Positive);
  cmd->add_option("--lr-init", o.lr_init, "Initializer learning rate")->check(Positive);
  cmd->add_option("--beta1", o.beta1, "Adam β₁ of both networks (default 0.9)")
      ->check(CLI::Range(0.0, 0.999999));
  cmd->add_option("--beta2", o.beta2, "Adam β₂ of both networks (default 0.999)")
      ->check(CLI::Range(0.0, 0.999999));
  cmd->add_option("--grad-clip", o.grad_clip, "Gradient-norm clip of each network (default 1)")
      ->check(CLI::PositiveNumber);
  cmd->add_option("--ema", o.ema_decay, "EMA decay")->check(CLI::Range(0.0, 0.999999));
  cmd->add_option("--label-dropout", o.label_dropout,
                  "Conditional models: probability of training on ∅ instead of the label, the "
                  "share of the batch that teaches the unconditional model (default 0.1)")
      ->check(CLI::Range(0.0, 1.0));
  cmd->add_option("-K,--langevin-steps", args->K,
                  "Langevin steps per level in training (default 15)")
      ->check(CLI::Range(1, 1000));
  cmd->add_option("--step-base", args->step_base,
                  "Langevin step-size base b in s_i² = 2·b·c_i·β_i (preset default)")
      ->check(CLI::PositiveNumber);
  cmd->add_option_function<std::string>(
         "--step-scaling",
         [args](const std::string& name) { args->step_scaling = stepScalingFromString(name); },
         "How c_i in s_i² = 2·b·c_i·β_i is formed: per-level (images) or constant (the reference's "
         "2-D run) (preset default)")
      ->check(CLI::IsMember({"per-level", "constant"}));
  cmd->add_option("--levels", args->levels,
                  "Number of noise levels T (preset default 6; new runs only)")
      ->check(CLI::Range(1, limits::kMaxLevels));
  cmd->add_option("--lambda-min", args->lambda_min,
                  "Log-SNR of the noisiest level, λ_min (preset default; new runs only)");
  cmd->add_option("--lambda-max", args->lambda_max,
                  "Log-SNR of the cleanest level, λ_max (preset default; new runs only)");
  cmd->add_option("--ebm-width", args->ebm_width,
                  "EBM base channel count (conv) or hidden width (MLP) (preset default; new runs "
                  "only)")
      ->check(Positive);
  cmd->add_option("--init-width", args->init_width,
                  "Initializer base channel count (U-Net) or hidden width (MLP) (preset default; "
                  "new runs only)")
      ->check(Positive);
  cmd->add_option("--fourier-features", args->fourier_features,
                  "MLP networks (toy2d): the input enters both networks as [x, sin 2πxB / √M, cos "
                  "2πxB / √M], B a Gaussian matrix with M = this many columns; 0 = x alone "
                  "(preset default; new runs only)")
      ->check(CLI::Range(int64_t{0}, int64_t{8192}));
  cmd->add_option("--fourier-scale", args->fourier_scale,
                  "Standard deviation of B's entries, in cycles per unit of the data (preset "
                  "default; new runs only)")
      ->check(CLI::PositiveNumber);
  cmd->add_flag_callback(
      "--conditional", [args] { args->conditional = true; },
      "Class-conditional model (needs labelled data)");
  cmd->add_option("--device", *device, "auto, cpu or cuda")
      ->check(CLI::IsMember({"auto", "cpu", "cuda"}))
      ->capture_default_str();
  cmd->add_option("--dist-timeout", *timeout,
                  "Seconds a rank of a distributed run waits for the others before it stops "
                  "naming the one at fault (docs/distributed.md)")
      ->check(CLI::Range(1, 86400))
      ->capture_default_str();
  cmd->callback([args, device, timeout] {
    args->device = devicePreferenceFromString(*device);
    args->group_options.timeout = std::chrono::seconds(*timeout);
    run(*args);
  });
}

}  // namespace cdrl::cli
