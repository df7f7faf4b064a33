#include "cdrl/training_run.h"

#include "cdrl/model_checkpoint.h"
#include "cdrl/official_import.h"
#include "cdrl/preset.h"
#include "cdrl/training_metrics.h"
#include "data/data_source.h"
#include "io/atomic_file.h"
#include "io/metrics_log.h"

#include <chrono>
#include <filesystem>

namespace cdrl {

namespace {

template <typename T>
void override(T& field, const std::optional<T>& value) {
  if (value) field = *value;
}

}  // namespace

TrainOptions TrainOverrides::applyTo(TrainOptions o) const {
  override(o.steps, steps);
  override(o.batch, batch);
  override(o.log_every, log_every);
  override(o.checkpoint_every, checkpoint_every);
  override(o.warmup, warmup);
  override(o.seed, seed);
  override(o.lr_ebm, lr_ebm);
  override(o.lr_init, lr_init);
  override(o.beta1, beta1);
  override(o.beta2, beta2);
  override(o.grad_clip, grad_clip);
  override(o.ema_decay, ema_decay);
  override(o.label_dropout, label_dropout);
  o.validate();
  return o;
}

namespace {

// What a resumed run changes, as a note for the user (flags given now override the run's own);
// throws for what cannot change under a run: its networks.
std::string resumeChanges(const TrainRequest& request, Checkpoint& resumed) {
  ModelConfig& config = resumed.config;
  if (request.preset && *request.preset != config.preset)
    throw std::runtime_error("--preset " + *request.preset + ": " + request.resume + " is a " +
                             config.preset +
                             " run, and a resumed run keeps its networks (start a new run in "
                             "another folder to change the preset)");
  if (request.conditional && *request.conditional != (config.num_classes > 0))
    throw std::runtime_error(
        request.resume + " is " + (config.num_classes > 0 ? "conditional" : "unconditional") +
        ", and a resumed run keeps its networks (start a new run to change it)");
  const auto keeps = [&](const auto& given, auto own, const char* flag, const char* why) {
    if (given && *given != own)
      throw std::runtime_error(std::string(flag) + ": " + request.resume + " was trained with " +
                               std::to_string(own) + ", and a resumed run keeps " + why);
  };
  const char* schedule = "its noise schedule (its networks learned those levels)";
  keeps(request.levels, config.schedule.T, "--levels", schedule);
  keeps(request.lambda_min, config.schedule.lambda_min, "--lambda-min", schedule);
  keeps(request.lambda_max, config.schedule.lambda_max, "--lambda-max", schedule);
  const char* networks = "its networks (start a new run in another folder to change them)";
  keeps(request.ebm_width, config.ebm.width, "--ebm-width", networks);
  keeps(request.init_width, config.initializer.width, "--init-width", networks);
  keeps(request.fourier_features, config.ebm.fourier_features, "--fourier-features", networks);
  keeps(request.fourier_scale, config.ebm.fourier_scale, "--fourier-scale", networks);
  std::vector<std::string> changes;
  if (request.K && *request.K != config.schedule.K) {
    changes.push_back("Langevin steps per level " + std::to_string(config.schedule.K) + " → " +
                      std::to_string(*request.K));
    config.schedule.K = *request.K;
  }
  if (request.step_base && *request.step_base != config.schedule.step_base) {
    changes.push_back("Langevin step-size base " + std::to_string(config.schedule.step_base) +
                      " → " + std::to_string(*request.step_base));
    config.schedule.step_base = *request.step_base;
  }
  if (request.step_scaling && *request.step_scaling != config.schedule.step_scaling) {
    changes.push_back("Langevin step scaling " + toString(config.schedule.step_scaling) + " → " +
                      toString(*request.step_scaling));
    config.schedule.step_scaling = *request.step_scaling;
  }
  if (!request.data.empty() && request.data != config.dataset) {
    changes.push_back("data " + config.dataset + " → " + request.data);
    config.dataset = request.data;  // recorded in every checkpoint from now on
  }
  std::string note;
  for (const auto& change : changes) note += (note.empty() ? "resumed with " : ", ") + change;
  return note;
}

}  // namespace

namespace {

// The device of this process: with CUDA in a group, the GPU of its local rank (torchrun and srun
// start one rank per GPU).
torch::Device rankDevice(const TrainRequest& request) {
  const torch::Device device = selectDevice(request.device);
  if (!request.group || !device.is_cuda()) return device;
  const auto gpus = static_cast<int>(torch::cuda::device_count());
  return {torch::kCUDA, static_cast<c10::DeviceIndex>(request.group->local_rank % gpus)};
}

// prepareTraining for this rank of `group` (null: a single process).
TrainingSetup prepareRank(const TrainRequest& request, ProcessGroup* group) {
  namespace fs = std::filesystem;
  if (request.out.empty()) throw std::runtime_error("no output folder given");
  TrainingSetup s;
  s.device = rankDevice(request);
  if (!group || group->rank() == 0) {
    std::error_code ec;
    fs::create_directories(request.out, ec);
    if (ec)
      throw std::runtime_error("cannot create output folder " + request.out + ": " + ec.message());
    s.lock = std::make_unique<RunLock>(request.out);
    if (const int orphans = removeOrphanTemporaries(request.out))
      s.note =
          "removed " + std::to_string(orphans) + " temporary file(s) left by an interrupted save";
  }
  s.checkpoint_path = (fs::path(request.out) / "checkpoint.safetensors").string();
  s.metrics_path = (fs::path(request.out) / "metrics.jsonl").string();

  std::optional<Checkpoint> resumed;
  if (!request.resume.empty()) {
    resumed = openCheckpoint(request.resume);
    const std::string changes = resumeChanges(request, *resumed);
    if (!changes.empty()) s.note += (s.note.empty() ? "" : "; ") + changes;
  }
  const std::string data_spec = !request.data.empty() ? request.data
                                : resumed             ? resumed->config.dataset
                                                      : "";
  if (data_spec.empty())
    throw std::runtime_error("no training data given (" + dataSpecHelp() + ")");
  const Preset base = preset(resumed ? resumed->config.preset : request.preset.value_or("toy2d"));
  // Image files are brought to the preset's channels and size.
  const auto& shape = resumed ? resumed->config.data_shape : base.model.data_shape;
  ImageLoadOptions image;
  if (shape.size() == 3) {
    image.channels = static_cast<int>(shape[0]);
    image.size = shape[1];
  }
  s.data = std::make_unique<Dataset>(loadDataset(data_spec, request.data_seed, image));
  // A resumed run keeps its own options; what the user set now overrides them.
  if (resumed && !resumed->training)
    s.note += (s.note.empty() ? "" : "; ") + request.resume +
              " predates stored training options; options not given now take the preset's "
              "defaults";
  s.options =
      request.overrides.applyTo(resumed && resumed->training ? *resumed->training : base.training);

  ModelConfig config = resumed ? resumed->config
                               : presetFor(request.preset.value_or("toy2d"), *s.data,
                                           request.conditional.value_or(false));
  // The specification, not the data set's short name: a resumed run reloads its data from it.
  if (!resumed) config.dataset = data_spec;
  if (request.K) config.schedule.K = *request.K;
  if (request.step_base) config.schedule.step_base = *request.step_base;
  if (request.step_scaling) config.schedule.step_scaling = *request.step_scaling;
  if (request.levels) config.schedule.T = *request.levels;
  if (request.lambda_min) config.schedule.lambda_min = *request.lambda_min;
  if (request.lambda_max) config.schedule.lambda_max = *request.lambda_max;
  if (request.ebm_width) config.ebm.width = *request.ebm_width;
  if (request.init_width) config.initializer.width = *request.init_width;
  for (NetworkConfig* net : {&config.ebm, &config.initializer}) {
    if (request.fourier_features) net->fourier_features = *request.fourier_features;
    if (request.fourier_scale) net->fourier_scale = *request.fourier_scale;
  }
  torch::manual_seed(s.options.seed);  // initial weights
  s.model = resumed ? loadModel(*resumed, s.device) : std::make_unique<Model>(config, s.device);
  s.trainer = std::make_unique<Trainer>(*s.model, *s.data, s.options, group);
  if (resumed) restoreTrainer(*resumed, *s.trainer);
  if (s.trainer->stepsDone() >= s.options.steps)
    throw std::runtime_error("nothing to do: the run is already at step " +
                             std::to_string(s.trainer->stepsDone()) + " (raise the step count)");
  // Every rank starts from rank 0's weights, whatever each drew or read.
  if (group)
    group->broadcast(s.model->stateTensors(), resumed ? "broadcasting the resumed weights"
                                                      : "broadcasting the initial weights");
  return s;
}

RunEnd runSteps(TrainingSetup& s, const std::atomic<bool>& stop,
                const std::function<void(const StepStats&)>& on_step) {
  using Clock = std::chrono::steady_clock;
  const TrainOptions& o = s.options;
  std::optional<MetricsLog> metrics;
  if (s.writes()) metrics.emplace(s.metrics_path, s.trainer->stepsDone());
  auto save = [&s] {
    if (s.group)
      s.group->requireIdentical(s.model->stateTensors(),
                                "weights, EMA weights and spectral-norm vectors");
    if (s.writes()) saveCheckpoint(s.checkpoint_path, *s.model, s.trainer.get());
  };
  const auto start = Clock::now();
  auto interval_start = start;
  int64_t interval_steps = 0;
  while (s.trainer->stepsDone() < o.steps) {
    // The ranks stop together, at the step where any of them was asked to.
    if (s.group ? s.group->any(stop, "agreeing whether to stop") : stop.load()) {
      save();
      return RunEnd::Stopped;
    }
    const StepStats stats = s.trainer->step();
    ++interval_steps;
    const bool last = stats.step == o.steps;
    if (metrics && (stats.step % o.log_every == 0 || last)) {
      const auto now = Clock::now();
      const double interval = std::chrono::duration<double>(now - interval_start).count();
      metrics->write(metricsLine(
          stats, {std::chrono::duration<double>(now - start).count(),
                  static_cast<double>(interval_steps * o.batch) / std::max(interval, 1e-9)}));
      interval_start = now;
      interval_steps = 0;
    }
    if (stats.step % o.checkpoint_every == 0 || last) save();
    if (on_step) on_step(stats);
  }
  return RunEnd::Finished;
}

}  // namespace

TrainingSetup prepareTraining(const TrainRequest& request) {
  std::unique_ptr<ProcessGroup> group;
  if (request.group) {
    ProcessGroupOptions options = request.group_options;
    options.device = rankDevice(request);
    group = ProcessGroup::join(*request.group, options);
  }
  try {
    TrainingSetup s = prepareRank(request, group.get());
    s.group = std::move(group);
    return s;
  } catch (const std::exception& e) {
    if (group) group->leave(e.what());
    throw;
  }
}

RunEnd runTraining(TrainingSetup& s, const std::atomic<bool>& stop,
                   const std::function<void(const StepStats&)>& on_step) {
  try {
    return runSteps(s, stop, on_step);
  } catch (const std::exception& e) {
    if (s.group) s.group->leave(e.what());
    throw;
  }
}

}  // namespace cdrl
