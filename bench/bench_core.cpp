// Throughput of sampling and training on this machine, with model FLOPs and achieved FLOP/s
// beside measured matrix-multiply and convolution throughput of the same LibTorch.
//
// Three modes (docs/benchmarks.md):
//   bench_core [--presets toy2d,fmnist-tiny] [--batch N] [--repeats N]
//       freshly initialised presets, one markdown table;
//   bench_core --checkpoint CKPT --workload sample|guided|compose|train [--batch N] [--repeats N]
//              [--steps K'] [--threads N] [--label c] [--guidance w] [--concepts c[:w],…]
//              [--shards N] [--device cpu|cuda]
//       one workload of a saved model, one JSON line, the same work as bench/reference's
//       bench-sample / bench-train (bench/compare.py runs both alternately);
//   bench_core --untrained PRESET --out CKPT [--classes C] [--seed S]
//       an untrained model of a preset, for the workloads of presets without a bundled model.
#include "cdrl/langevin.h"
#include "cdrl/model_checkpoint.h"
#include "cdrl/preset.h"
#include "cdrl/sampler.h"
#include "cdrl/trainer.h"
#include "data/toy_data.h"
#include "nn/spectral_norm.h"
#include "runtime/device.h"
#include "runtime/flop_counter.h"
#include "runtime/shard_pool.h"

#include <sys/resource.h>
#include <torch/cuda.h>
#include <CLI/CLI.hpp>
#include <nlohmann/json.hpp>

#include <algorithm>
#include <chrono>
#include <cstdio>
#include <sstream>

using namespace cdrl;

namespace {

// Waits for queued GPU work, so a timing covers it (a no-op without CUDA).
void synchronize() {
  if (torch::cuda::is_available()) torch::cuda::synchronize();
}

template <typename F>
double seconds(F&& f) {
  const auto start = std::chrono::steady_clock::now();
  f();
  synchronize();
  return std::chrono::duration<double>(std::chrono::steady_clock::now() - start).count();
}

// Best of `repeats` timings after one warm-up call: the least disturbed run on a shared machine.
template <typename F>
double bestSeconds(int repeats, F&& f) {
  f();
  double best = 1e30;
  for (int r = 0; r < repeats; ++r) best = std::min(best, seconds(f));
  return best;
}

// One warm-up call, then `repeats` timed calls, as bench/reference's `timed`.
struct Timing {
  double best_s = 0;
  double median_s = 0;
};

template <typename F>
Timing timed(int repeats, F&& f) {
  f();
  std::vector<double> times;
  for (int r = 0; r < repeats; ++r) times.push_back(seconds(f));
  std::sort(times.begin(), times.end());
  const size_t n = times.size();
  return {times.front(), n % 2 ? times[n / 2] : 0.5 * (times[n / 2 - 1] + times[n / 2])};
}

double matmulGflops(int repeats) {
  const auto a = torch::randn({1024, 1024}), b = torch::randn({1024, 1024});
  const double s = bestSeconds(repeats, [&] { torch::mm(a, b); });
  return 2.0 * 1024 * 1024 * 1024 / s / 1e9;
}

double convGflops(int64_t batch, int64_t channels, int64_t size, int repeats) {
  const auto x = torch::randn({batch, channels, size, size});
  const auto w = torch::randn({channels, channels, 3, 3});
  const double s = bestSeconds(repeats, [&] { torch::conv2d(x, w, {}, 1, 1); });
  return 2.0 * batch * channels * channels * 9 * size * size / s / 1e9;
}

double peakRssMib() {
  rusage usage{};
  getrusage(RUSAGE_SELF, &usage);
  return usage.ru_maxrss / 1024.0;  // KiB on Linux
}

Dataset syntheticData(const ModelConfig& config, int64_t n) {
  if (!config.isImage()) return makeToyDataset(ToyShape::EightGaussians, n, 0);
  Dataset d;
  d.name = "synthetic";
  std::vector<int64_t> shape = {n};
  shape.insert(shape.end(), config.data_shape.begin(), config.data_shape.end());
  d.data = torch::rand(shape) * 2 - 1;
  d.shift = {0};
  d.scale = {1};
  return d;
}

// Uniform random examples in [−1, 1] with uniform labels, as the reference's `--data random`.
Dataset randomData(const ModelConfig& config, int64_t n) {
  Dataset d;
  d.name = "random";
  std::vector<int64_t> shape = {n};
  shape.insert(shape.end(), config.data_shape.begin(), config.data_shape.end());
  d.data = torch::rand(shape) * 2 - 1;
  if (config.num_classes > 0) {
    d.labels = torch::randint(config.num_classes, {n}, torch::kLong);
    d.class_names = config.class_names;
  }
  d.shift.assign(config.data_shape.size() == 1 ? config.data_shape[0] : 1, 0.0);
  d.scale.assign(d.shift.size(), 1.0);
  return d;
}

// FLOPs of one forward of each network per example (multiply-adds × 2,
// core/runtime/flop_counter.h).
struct NetworkFlops {
  int64_t ebm = 0;
  int64_t init = 0;
};

NetworkFlops networkFlops(Model& model, int64_t batch) {
  const ModelConfig& config = model.config();
  std::vector<int64_t> shape = {batch};
  shape.insert(shape.end(), config.data_shape.begin(), config.data_shape.end());
  const auto x = torch::randn(shape);
  const auto lambda = torch::full({batch}, model.schedule().level(1).lambda);
  const auto label = torch::zeros({batch}, torch::kLong);
  torch::NoGradGuard no_grad;
  NetworkPair nets = model.ema();
  // The embeddings are computed once per level, not per forward: left out.
  const auto emb_e = nets.ebm.embed(lambda, label), emb_i = nets.initializer.embed(lambda, label);
  NetworkFlops f;
  {
    FlopCounter c;
    nets.ebm.energy(x, emb_e);
    f.ebm = c.flops() / batch;
  }
  {
    FlopCounter c;
    nets.initializer.propose(x, emb_i);
    f.init = c.flops() / batch;
  }
  return f;
}

void benchPreset(const std::string& name, int64_t batch, int repeats) {
  Preset p = preset(name);
  ModelConfig config = p.model;
  config.dataset = "synthetic";
  config.data_shift.assign(config.data_shape.size() == 1 ? 2 : 1, 0.0);
  config.data_scale.assign(config.data_shift.size(), 1.0);
  torch::manual_seed(0);
  Model model(config, torch::kCPU);
  const Schedule& schedule = model.schedule();
  const int K = schedule.options().K, T = schedule.T();
  const NetworkFlops flops = networkFlops(model, batch);
  const int64_t ebm_flops = flops.ebm, init_flops = flops.init;

  std::vector<int64_t> shape = {batch};
  shape.insert(shape.end(), config.data_shape.begin(), config.data_shape.end());
  const auto x = torch::randn(shape);
  const auto lambda = torch::full({batch}, schedule.level(1).lambda);
  const auto label = torch::zeros({batch}, torch::kLong);
  torch::NoGradGuard no_grad;
  auto& ebm = *model.ebmEma();
  const auto emb_e = ebm.embed(lambda, label);

  // The Langevin loop alone: K steps of ∇F on the batch (input gradient ≈ one more forward).
  const auto levels = torch::full({1}, 1, torch::kLong);
  const auto coeff = langevinCoefficients(schedule, levels, K, x.dim() - 1);
  LangevinOptions lopts;
  lopts.steps = K;
  lopts.record = false;
  auto gen = at::detail::createCPUGenerator(0);
  const double chain_s = bestSeconds(repeats, [&] {
    langevinRefine(
        x, x, coeff, [&](const torch::Tensor& y) { return ebm.energy(y, emb_e); }, lopts, gen);
  });
  const double chain_flops = 2.0 * ebm_flops * batch * K;

  SampleOptions sopts;
  sopts.count = batch;
  const double sample_s = bestSeconds(repeats, [&] { sample(model, sopts); });
  const double sample_flops = batch * (T * (init_flops + 2.0 * K * ebm_flops) + 2.0 * ebm_flops);

  Dataset data = syntheticData(config, 4096);
  TrainOptions topts = p.training;
  topts.batch = batch;
  Trainer trainer(model, data, topts);
  const int train_steps = 3;
  const double train_s = bestSeconds(repeats,
                                     [&] {
                                       torch::AutoGradMode grad(true);
                                       for (int k = 0; k < train_steps; ++k) trainer.step();
                                     }) /
                         train_steps;
  // Per iteration: proposal forward+backward (≈3 forwards), K chain steps (2 each), the loss
  // forward on 2B and its backward (≈3 forwards each).
  const double train_flops = batch * (3.0 * init_flops + 2.0 * K * ebm_flops + 6.0 * ebm_flops);

  std::printf("| %s | %lld | %.2f | %.2f | %.1f | %.1f | %.2f | %.1f | %.1f | %.1f |\n",
              name.c_str(), static_cast<long long>(batch), ebm_flops / 1e6, init_flops / 1e6,
              batch / sample_s, sample_flops / sample_s / 1e9, 1.0 / train_s,
              train_flops / train_s / 1e9, chain_flops / chain_s / 1e9, batch * K / chain_s);
  std::fflush(stdout);
}

// ---------------------------------------------------------------------------------------------
// One workload of a saved model, reported as one JSON line (bench/compare.py).

enum class Workload { Sample, Guided, Compose, Train };

struct WorkloadArgs {
  std::string checkpoint;  // model file
  Workload workload = Workload::Sample;
  int64_t batch = 64;          // samples per run / training minibatch
  int repeats = 3;             // timed runs after one warm-up
  int steps = 0;               // K' for sampling; 0 = the trained K
  int64_t label = 1;           // guided: condition label 1..C (0 = ∅, the reference's convention)
  double guidance = 3.0;       // guided: w
  std::string concepts;        // compose: "c[:w],…" with labels 1..C
  uint64_t seed = 0;           // noise / training seed
  bool raw = false;            // raw instead of EMA weights (sampling)
  bool kernels = true;         // also time the Langevin chain and its convolutions alone
  int shards = 0;              // sampling: SampleOptions::shards (1 = one batch over all threads)
  std::string device = "cpu";  // cpu, cuda or auto
};

Workload workloadFromString(const std::string& name) {
  if (name == "sample") return Workload::Sample;
  if (name == "guided") return Workload::Guided;
  if (name == "compose") return Workload::Compose;
  if (name == "train") return Workload::Train;
  throw std::invalid_argument("unknown workload '" + name +
                              "' (expected sample, guided, compose or train)");
}

// "2,4:0.5" → {2, 1}, {4, 0.5}: labels in the core's convention (0 = ∅), as the reference.
std::vector<ConditionTerm> parseConcepts(const std::string& spec) {
  std::vector<ConditionTerm> terms;
  std::stringstream items(spec);
  std::string item;
  while (std::getline(items, item, ',')) {
    const auto colon = item.find(':');
    ConditionTerm t;
    t.label = std::stoll(item.substr(0, colon));
    t.weight = colon == std::string::npos ? 1.0 : std::stod(item.substr(colon + 1));
    terms.push_back(t);
  }
  if (terms.empty()) throw std::invalid_argument("--concepts: give at least one label");
  return terms;
}

Condition workloadCondition(const WorkloadArgs& a) {
  switch (a.workload) {
    case Workload::Guided:
      return Condition::guided(a.label, a.guidance);
    case Workload::Compose:
      return Condition::composed(parseConcepts(a.concepts));
    case Workload::Sample:
    case Workload::Train:
      break;
  }
  return Condition::none();
}

// The convolutions of one energy forward at batch `n` — every SNConv2d of a ConvEnergy, at the
// resolution of its stage ("in" and "block<level>_<b>.*", pooled 2× per level) — each run as
// forward plus input gradient, the work of one Langevin step's convolutions, with nothing else.
struct Convolutions {
  struct Conv {
    torch::Tensor x, w, b, grad_out;
  };
  std::vector<Conv> convs;
  double flops = 0;  // forward + input-gradient FLOPs of one pass over all of them

  Convolutions(EnergyNetImpl& ebm, const ModelConfig& config, int64_t n, torch::Device device) {
    torch::NoGradGuard no_grad;
    for (const auto& item : ebm.named_modules()) {
      auto conv = std::dynamic_pointer_cast<SNConv2dImpl>(item.value());
      if (!conv) continue;
      int64_t level = 0;
      if (item.key().rfind("block", 0) == 0) level = std::stoll(item.key().substr(5));
      const int64_t size = config.data_shape[1] >> level;
      const auto w = conv->normalizedWeight().detach().clone();
      const auto opts = torch::TensorOptions(device);
      Conv c{torch::randn({n, w.size(1), size, size}, opts), w, conv->bias.detach().clone(), {}};
      c.grad_out = torch::randn({n, w.size(0), size, size}, opts);
      flops += 2.0 * 2.0 * c.grad_out.numel() * w[0].numel();
      convs.push_back(std::move(c));
    }
  }

  void run() const {
    torch::NoGradGuard no_grad;
    for (const auto& c : convs) {
      const int64_t pad = c.w.size(2) / 2;
      torch::conv2d(c.x, c.w, c.b, /*stride=*/1, /*padding=*/pad);
      at::convolution_backward(c.grad_out, c.x, c.w, c10::nullopt, {1, 1}, {pad, pad}, {1, 1},
                               /*transposed=*/false, {0, 0}, /*groups=*/1, {true, false, false});
    }
  }
};

// The K'-step Langevin chain of one level alone (§4) on the workload's batch, run as the sampler
// runs it (one part per core on the CPU, terms in passes of ≤ kCpuTermRows rows), and the same
// convolutions alone on the same parts: where the chain's time goes against the kernels' best.
void measureKernels(Model& model, const WorkloadArgs& a, int steps, nlohmann::json& out) {
  const ModelConfig& config = model.config();
  const Schedule& schedule = model.schedule();
  const Condition condition = workloadCondition(a);
  const auto device = model.device();
  const int64_t B = a.batch;
  std::vector<int64_t> shape = {B};
  shape.insert(shape.end(), config.data_shape.begin(), config.data_shape.end());
  NetworkPair nets = model.networks(!a.raw);
  nets.ebm.eval();
  nets.initializer.eval();
  torch::NoGradGuard no_grad;
  cacheNormalizedWeights(nets.ebm);
  cacheNormalizedWeights(nets.initializer);
  const auto x = torch::randn(shape).to(device);
  const int64_t example_size = x[0].numel();
  const auto parts = batchParts(device, B, example_size, a.shards);
  const int64_t max_rows = device.is_cpu() ? kCpuTermRows : 0;
  const auto levels = torch::full({1}, 1, torch::TensorOptions(device).dtype(torch::kLong));
  const auto coeff = langevinCoefficients(schedule, levels, steps, x.dim() - 1);
  LangevinOptions lopts;
  lopts.steps = steps;
  lopts.record = false;  // the sampler records per step; this is the bare chain
  const int terms = static_cast<int>(condition.terms.size());
  std::vector<std::unique_ptr<GuidedEnergy>> energies;
  std::vector<std::unique_ptr<GuidedInitializer>> proposals;
  std::vector<std::unique_ptr<Convolutions>> convs;
  for (const auto& r : parts) {
    const auto n = r.size();
    const auto opts = torch::TensorOptions(device);
    energies.push_back(std::make_unique<GuidedEnergy>(
        nets.ebm, condition, torch::full({n}, schedule.level(0).lambda, opts)));
    proposals.push_back(std::make_unique<GuidedInitializer>(
        nets.initializer, condition, torch::full({n}, schedule.level(1).lambda, opts)));
    convs.push_back(std::make_unique<Convolutions>(nets.ebm, config, n * terms, device));
  }
  const int reps = std::max(2, a.repeats);
  const double chain_s = bestSeconds(reps, [&] {
    runParts(parts, [&](size_t p, RowRange r) {
      torch::NoGradGuard part_no_grad;  // grad mode is per thread
      const auto x_p = x.slice(0, r.begin, r.end);
      const EnergyGradient F = [&](const torch::Tensor& y) {
        return energies[p]->withGradient(y, max_rows);
      };
      const LangevinNoise noise = [](int, const torch::Tensor& y) { return torch::randn_like(y); };
      langevinRefine(x_p, x_p, coeff, F, lopts, noise);
    });
  });
  const double proposal_s = bestSeconds(reps, [&] {
    runParts(parts, [&](size_t p, RowRange r) {
      torch::NoGradGuard part_no_grad;
      (*proposals[p])(x.slice(0, r.begin, r.end), max_rows);
    });
  });
  double conv_flops = 0;
  for (const auto& c : convs) conv_flops += c->flops;
  const double conv_s =
      bestSeconds(reps, [&] { runParts(parts, [&](size_t p, RowRange) { convs[p]->run(); }); });
  out["parts"] = parts.size();
  out["chain_s"] = chain_s;
  out["proposal_s"] = proposal_s;
  if (conv_flops > 0) {
    // Efficiency of the chain's convolutions: their FLOPs per step over the chain's step time,
    // against the same FLOPs run alone.
    const double chain_conv_flops_per_s = conv_flops * steps / chain_s;
    out["conv_alone_s"] = conv_s;
    out["conv_alone_gflop_per_s"] = conv_flops / conv_s / 1e9;
    out["chain_conv_gflop_per_s"] = chain_conv_flops_per_s / 1e9;
    out["chain_efficiency"] = chain_conv_flops_per_s / (conv_flops / conv_s);
  }
  out["matmul_gflop_per_s"] = matmulGflops(reps);
}

// An untrained model of a preset (weights from `seed`) written as a checkpoint, so compare.py can
// time presets no bundled model has (cifar10-paper, for GPU runs) on both sides.
int writeUntrained(const std::string& name, int64_t classes, uint64_t seed,
                   const std::string& path) {
  ModelConfig config = preset(name).model;
  config.num_classes = classes;
  config.class_names.clear();
  for (int64_t c = 0; c < classes; ++c) config.class_names.push_back("class " + std::to_string(c));
  torch::manual_seed(seed);
  Model model(config, torch::kCPU);
  saveCheckpoint(path, model);
  std::printf("%s: untrained %s, %lld classes\n", path.c_str(), name.c_str(),
              static_cast<long long>(classes));
  return 0;
}

int runWorkload(const WorkloadArgs& a) {
  const Checkpoint checkpoint = readCheckpoint(a.checkpoint);
  const auto device = selectDevice(devicePreferenceFromString(a.device));
  auto model = loadModel(checkpoint, device);
  const ModelConfig& config = model->config();
  const Schedule& schedule = model->schedule();
  const int T = schedule.T(), K = schedule.options().K;
  const Condition condition = workloadCondition(a);
  condition.validate(config.num_classes);
  const double terms = static_cast<double>(condition.terms.size());
  const NetworkFlops flops = networkFlops(*model, std::min<int64_t>(a.batch, 8));
  const int64_t B = a.batch;

  nlohmann::json out;
  const char* names[] = {"sample", "guided", "compose", "train"};
  out["workload"] = names[static_cast<int>(a.workload)];
  out["preset"] = config.preset;
  out["batch"] = B;
  out["repeats"] = a.repeats;
  Timing t;
  double work = 0;
  int chain_steps = K;
  if (a.workload == Workload::Train) {
    const Dataset data = randomData(config, std::max<int64_t>(1024, B));
    TrainOptions topts = checkpoint.training.value_or(TrainOptions{});
    topts.batch = B;
    topts.seed = a.seed;
    Trainer trainer(*model, data, topts);
    torch::AutoGradMode grad(true);
    t = timed(a.repeats, [&] { trainer.step(); });
    // Per iteration: proposal forward+backward (≈3 forwards), K chain steps (2 each), the loss
    // forward on 2B and its backward (≈3 forwards each).
    work = B * (3.0 * flops.init + 2.0 * K * flops.ebm + 6.0 * flops.ebm);
    out["mode"] = "bench-train";
    out["K"] = K;
    out["data"] = "random";
    out["it_per_s"] = 1.0 / t.best_s;
  } else {
    SampleOptions sopts;
    sopts.count = B;
    sopts.seed = a.seed;
    sopts.steps = a.steps;
    sopts.use_ema = !a.raw;
    sopts.condition = condition;
    sopts.shards = a.shards;
    chain_steps = a.steps > 0 ? a.steps : K;
    t = timed(a.repeats, [&] { sample(*model, sopts); });
    // T proposals and K' chain steps (forward + input gradient) per level, then Tweedie; every
    // network call runs over the stacked terms.
    work = B * terms * (T * (flops.init + 2.0 * chain_steps * flops.ebm) + 2.0 * flops.ebm);
    out["mode"] = "bench-sample";
    out["steps"] = chain_steps;
    out["levels"] = T;
    out["terms"] = condition.terms.size();
    out["images_per_s"] = B / t.best_s;
    out["shards"] = a.shards;
  }
  out["best_s"] = t.best_s;
  out["median_s"] = t.median_s;
  out["gflop"] = work / 1e9;
  out["gflop_per_s"] = work / t.best_s / 1e9;
  out["ebm_mflop_per_example"] = flops.ebm / 1e6;
  out["init_mflop_per_example"] = flops.init / 1e6;
  out["peak_rss_mib"] = peakRssMib();  // of the workload, before the kernel measurements
  if (a.kernels) {
    measureKernels(*model, a, chain_steps, out);
    // Share of one run's time in the T chains (and T proposals) at these settings.
    const double levels_per_run = a.workload == Workload::Train ? 1.0 : T;
    out["chain_share"] = levels_per_run * out["chain_s"].get<double>() / t.best_s;
    if (a.workload != Workload::Train)
      out["proposal_share"] = levels_per_run * out["proposal_s"].get<double>() / t.best_s;
  }
  out["threads"] = torch::get_num_threads();
  out["device"] = describeDevice(device);
  out["torch"] = std::to_string(TORCH_VERSION_MAJOR) + "." + std::to_string(TORCH_VERSION_MINOR) +
                 "." + std::to_string(TORCH_VERSION_PATCH);
  std::printf("%s\n", out.dump().c_str());
  std::fflush(stdout);
  return 0;
}

}  // namespace

int main(int argc, char** argv) {
  CLI::App app{"bench_core: sampling and training throughput per preset, or of one workload"};
  std::vector<std::string> presets = {"toy2d", "fmnist-tiny"};
  int64_t batch = 64;
  int repeats = 3;
  int threads = 0;
  std::string workload;
  WorkloadArgs w;
  app.add_option("--presets", presets, "Presets to measure (markdown table)")->delimiter(',');
  app.add_option("--batch", batch, "Batch size")->capture_default_str();
  app.add_option("--repeats", repeats, "Timed repeats after a warm-up")->capture_default_str();
  app.add_option("--threads", threads, "LibTorch threads (0 = all cores)")->capture_default_str();
  app.add_option("--checkpoint", w.checkpoint, "Model for --workload")->check(CLI::ExistingFile);
  app.add_option("--workload", workload, "sample, guided, compose or train: one JSON line");
  app.add_option("--steps", w.steps, "Sampling K' (0 = the trained K)")->capture_default_str();
  app.add_option("--label", w.label, "guided: label 1..C (0 = ∅)")->capture_default_str();
  app.add_option("--guidance", w.guidance, "guided: weight w")->capture_default_str();
  app.add_option("--concepts", w.concepts, "compose: labels 'c[:w],…' (1..C)");
  app.add_option("--seed", w.seed, "Seed")->capture_default_str();
  app.add_option("--shards", w.shards, "Sampling: batch parts on separate cores (0 = per thread)")
      ->capture_default_str();
  app.add_option("--device", w.device, "--workload: auto, cpu or cuda")
      ->check(CLI::IsMember({"auto", "cpu", "cuda"}))
      ->capture_default_str();
  std::string untrained, out_path;
  int64_t classes = 10;
  app.add_option("--untrained", untrained,
                 "Write an untrained model of this preset to --out (for --workload), then exit")
      ->check(CLI::IsMember(presetNames()));
  app.add_option("--out", out_path, "--untrained: checkpoint path to write");
  app.add_option("--classes", classes, "--untrained: classes of the conditional model")
      ->check(CLI::PositiveNumber)
      ->capture_default_str();
  app.add_flag("--raw", w.raw, "Sample with the raw weights instead of the EMA ones");
  app.add_flag("!--no-kernels", w.kernels, "Skip timing the chain and its convolutions alone");
  CLI11_PARSE(app, argc, argv);
  configureRuntime(threads);

  if (!untrained.empty()) {
    try {
      if (out_path.empty()) throw std::invalid_argument("--untrained needs --out");
      return writeUntrained(untrained, classes, w.seed, out_path);
    } catch (const std::exception& e) {
      std::fprintf(stderr, "bench_core: %s\n", e.what());
      return 1;
    }
  }

  if (!workload.empty()) {
    try {
      if (w.checkpoint.empty()) throw std::invalid_argument("--workload needs --checkpoint");
      w.workload = workloadFromString(workload);
      if (w.workload == Workload::Compose && w.concepts.empty())
        throw std::invalid_argument("--workload compose needs --concepts");
      w.batch = batch;
      w.repeats = std::max(1, repeats);
      return runWorkload(w);
    } catch (const std::exception& e) {
      std::fprintf(stderr, "bench_core: %s\n", e.what());
      return 1;
    }
  }

  std::printf("threads: %d\n", torch::get_num_threads());
  std::printf("matmul 1024²: %.1f GFLOP/s\n", matmulGflops(repeats));
  std::printf("conv3×3 64×32ch×14²: %.1f GFLOP/s; 64×16ch×28²: %.1f GFLOP/s\n\n",
              convGflops(64, 32, 14, repeats), convGflops(64, 16, 28, repeats));
  std::printf(
      "| preset | batch | EBM MFLOP/img | init MFLOP/img | sample img/s | sample GFLOP/s | "
      "train it/s | train GFLOP/s | Langevin GFLOP/s | Langevin img-steps/s |\n");
  std::printf("|---|---|---|---|---|---|---|---|---|---|\n");
  for (const auto& name : presets) benchPreset(name, batch, repeats);
  return 0;
}
