// Throughput of sampling and training per preset on this machine, with model FLOPs and achieved
// FLOP/s beside measured matrix-multiply and convolution throughput of the same LibTorch.
// Usage: bench_core [--presets toy2d,fmnist-tiny] [--batch N] [--repeats N]   (docs/benchmarks.md)
#include "device.h"
#include "flop_counter.h"
#include "langevin.h"
#include "preset.h"
#include "sampler.h"
#include "toy_data.h"
#include "trainer.h"

#include <CLI/CLI.hpp>

#include <chrono>
#include <cstdio>

using namespace cdrl;

namespace {

template <typename F>
double seconds(F&& f) {
  const auto start = std::chrono::steady_clock::now();
  f();
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

  // FLOPs of one forward of each network per example (multiply-adds × 2).
  std::vector<int64_t> shape = {batch};
  shape.insert(shape.end(), config.data_shape.begin(), config.data_shape.end());
  const auto x = torch::randn(shape);
  const auto lambda = torch::full({batch}, schedule.level(1).lambda);
  const auto label = torch::zeros({batch}, torch::kLong);
  torch::NoGradGuard no_grad;
  auto& ebm = *model.ebmEma();
  auto& init = *model.initializerEma();
  const auto emb_e = ebm.embed(lambda, label), emb_i = init.embed(lambda, label);
  int64_t ebm_flops = 0, init_flops = 0;
  {
    FlopCounter c;
    ebm.energy(x, emb_e);
    ebm_flops = c.flops() / batch;
  }
  {
    FlopCounter c;
    init.propose(x, emb_i);
    init_flops = c.flops() / batch;
  }

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

}  // namespace

int main(int argc, char** argv) {
  CLI::App app{"bench_core: sampling and training throughput per preset"};
  std::vector<std::string> presets = {"toy2d", "fmnist-tiny"};
  int64_t batch = 64;
  int repeats = 3;
  app.add_option("--presets", presets, "Presets to measure")->delimiter(',');
  app.add_option("--batch", batch, "Batch size")->capture_default_str();
  app.add_option("--repeats", repeats, "Timed repeats (best is reported)")->capture_default_str();
  CLI11_PARSE(app, argc, argv);
  configureThreads();
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
