// One training run as `cdrl train` and the studio do it (Algorithm 1 in a loop): model, data and
// trainer set up from a request or a checkpoint, then steps with metrics lines, periodic atomic
// checkpoints, and a stop flag checked between steps.
#pragma once

#include "cdrl/model.h"
#include "cdrl/trainer.h"
#include "data/dataset.h"
#include "io/run_lock.h"
#include "runtime/device.h"
#include "runtime/process_group.h"

#include <atomic>
#include <functional>
#include <memory>
#include <optional>
#include <string>

namespace cdrl {

// Options the user set for this run; unset ones come from the resumed checkpoint, else the preset.
struct TrainOverrides {
  std::optional<int64_t> steps, batch, log_every, checkpoint_every, warmup;
  std::optional<uint64_t> seed;
  std::optional<double> lr_ebm, lr_init, beta1, beta2, grad_clip, ema_decay, label_dropout;

  TrainOptions applyTo(TrainOptions options) const;
};

struct TrainRequest {
  // A new run's preset (toy2d when unset). On resume it must be the checkpoint's: the networks
  // cannot change under a run.
  std::optional<std::string> preset;
  // Data specification (data_source.h); empty = the checkpoint's. On resume another one is used
  // and recorded in the checkpoints from then on.
  std::string data;
  std::string out;                  // folder for checkpoint.safetensors and metrics.jsonl
  std::string resume;               // checkpoint to continue, or empty for a new run
  std::optional<bool> conditional;  // class- or attribute-conditional; on resume, must match
  uint64_t data_seed = 0;           // seed of generated data (toy, shapes)
  std::optional<int> K;  // Langevin steps per level in training (preset default; on resume: new K)
  // Langevin step-size base b of s_i² = 2·b·c_i·β_i (ALGORITHM.md §4; preset default; on resume:
  // new b, also for sampling from the checkpoints written from then on).
  std::optional<double> step_base;
  // How c_i is formed (per-level for images, constant for the reference's 2-D run; preset default;
  // on resume: the new one).
  std::optional<StepScaling> step_scaling;
  // The noise schedule: its number of levels T and log-SNR range (ALGORITHM.md §2; preset
  // default). New runs only: a resumed run keeps its schedule, since its networks learned those
  // levels.
  std::optional<int> levels;
  std::optional<double> lambda_min, lambda_max;
  // Base channel count (conv nets) or hidden width (MLPs) of each network (preset default). New
  // runs only: a resumed run keeps its networks.
  std::optional<int64_t> ebm_width, init_width;
  // MLP networks (toy2d): Fourier features of the input in both networks, their count and scale
  // (NetworkConfig; preset default). New runs only.
  std::optional<int64_t> fourier_features;
  std::optional<double> fourier_scale;
  DevicePreference device = DevicePreference::Auto;
  TrainOverrides overrides;
  // Set: this process is one rank of a data-parallel run (processGroupFromEnvironment); rank 0
  // alone writes into `out`.
  std::optional<ProcessGroupSpec> group;
  ProcessGroupOptions group_options;
};

// Everything a run needs, ready to step. Networks and data live behind pointers, so the trainer's
// references stay valid when the setup is moved.
struct TrainingSetup {
  torch::Device device = torch::kCPU;
  std::unique_ptr<ProcessGroup> group;  // null for a single process; outlives the trainer
  std::unique_ptr<Dataset> data;
  std::unique_ptr<Model> model;
  std::unique_ptr<Trainer> trainer;
  TrainOptions options;
  std::string checkpoint_path;    // <out>/checkpoint.safetensors
  std::string metrics_path;       // <out>/metrics.jsonl
  std::string note;               // a warning for the user, or empty
  std::unique_ptr<RunLock> lock;  // held for the run: no second run writes into `out`

  bool writes() const { return !group || group->rank() == 0; }  // metrics and checkpoints
};

// Joins the process group if there is one, loads the data, builds or restores the model and
// trainer (rank 0's weights broadcast to all ranks), creates `out`. Throws std::runtime_error (or
// FormatError for a bad checkpoint, RankFailure for a group that fails) with a one-line reason,
// also when the resumed run has already reached its step count; a rank that fails tells the
// others why.
TrainingSetup prepareTraining(const TrainRequest& request);

enum class RunEnd { Finished, Stopped };

// Steps to options.steps, appending a metrics line every log_every steps and writing the
// checkpoint atomically every checkpoint_every steps and at the end. `stop` is read between steps;
// a stopped run saves its checkpoint first. A DivergedError propagates with the last good
// checkpoint left in place. `on_step` sees every step's statistics. In a group the ranks agree on
// stopping, check at every checkpoint that they hold identical weights, and rank 0 alone writes.
RunEnd runTraining(TrainingSetup& setup, const std::atomic<bool>& stop,
                   const std::function<void(const StepStats&)>& on_step = {});

}  // namespace cdrl
