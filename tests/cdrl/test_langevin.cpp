// Langevin refinement (ALGORITHM.md §4) on an energy whose conditional is Gaussian, so the
// chain's stationary law is known in closed form.
//
// F(y) = −s²·‖y − μ‖² / (2σ0²) makes log p(y | x) = F/s² − ‖y − x‖²/(2β) a Gaussian with
// precision P = 1/σ0² + 1/β and mean m = (μ/σ0² + x/β)/P (at i = T: P = 1/σ0², m = μ). With step
// variance h the update is y' = y + (h/2)∇log p + sqrt(h)·ε = m + (1 − hP/2)(y − m) + sqrt(h)·ε,
// an AR(1) chain whose stationary law is N(m, 1/(P(1 − hP/4))) exactly.
#include "cdrl/langevin.h"
#include "cdrl/schedule.h"
#include "nn/spectral_norm.h"

#include <ATen/CPUGeneratorImpl.h>
#include <QtTest>

#include <atomic>
#include <cmath>

using cdrl::LangevinCoefficients;
using cdrl::LangevinOptions;
using cdrl::LangevinResult;
using cdrl::Schedule;

namespace {

torch::Generator generator(uint64_t seed) { return at::detail::createCPUGenerator(seed); }

torch::Tensor levelTensor(int level) { return torch::full({1}, level, torch::kLong); }

// The Gaussian target of one test case.
struct GaussianTarget {
  double s2 = 0;    // the level's s_i²
  double beta = 0;  // β_i
  bool anchored = false;
  double h = 0;             // step variance s_i²·K/K'
  double P = 0;             // precision of the target
  double inv_sigma0_2 = 0;  // 1/σ0²
  torch::Tensor mu;         // [1, 2]
  torch::Tensor x;          // [1, 2]
  torch::Tensor mean;       // [1, 2] double

  // Chooses σ0 so that h·P equals `hP`.
  GaussianTarget(const Schedule& schedule, int level, int steps_per_level, double hP) {
    const auto& L = schedule.level(level);
    s2 = L.s2;
    beta = L.beta;
    anchored = L.anchored;
    h = L.s2 * schedule.options().K / steps_per_level;
    P = hP / h;
    inv_sigma0_2 = P - (anchored ? 1.0 / beta : 0.0);
    mu = torch::tensor({{0.6, -0.4}}, torch::kFloat);
    x = torch::tensor({{-0.3, 0.5}}, torch::kFloat);
    const auto mu_d = mu.to(torch::kDouble), x_d = x.to(torch::kDouble);
    mean = anchored ? (mu_d * inv_sigma0_2 + x_d / beta) / P : mu_d;
  }

  cdrl::EnergyFunction energy() const {
    const double scale = s2 * inv_sigma0_2 / 2.0;
    const torch::Tensor m = mu;
    return [scale, m](const torch::Tensor& y) { return -scale * (y - m).pow(2).sum(1); };
  }
  double stationaryVariance() const { return 1.0 / (P * (1.0 - h * P / 4.0)); }
  double contraction() const { return 1.0 - h * P / 2.0; }
};

}  // namespace

class TestLangevin : public QObject {
  Q_OBJECT

 private Q_SLOTS:
  void coefficientsMatchClosedForm_data();
  void coefficientsMatchClosedForm();
  void perSampleLevelsAndShapes();

  void stationaryMeanAndVariance_data();
  void stationaryMeanAndVariance();

  void fewerStepsScaleSingleStepNoise();
  void fewerStepsScaleSingleStepDrift();
  void energyAndGradientIsAnalyticAndParameterFree();
  void noiseOffIsDeterministicGradientAscent();
  void seedReproducesChain();
  void recordsEnergyAndDisplacement();
  void keepStepsReturnsOneTensorPerStep();
  void cancellationStopsBetweenSteps();
  void cancelledBeforeStartLeavesProposal();
};

void TestLangevin::coefficientsMatchClosedForm_data() {
  QTest::addColumn<int>("level");
  QTest::addColumn<int>("steps");
  for (int level : {1, 3, 6})
    for (int steps : {15, 5, 3, 30})
      QTest::newRow(qPrintable(QString("i=%1 K'=%2").arg(level).arg(steps))) << level << steps;
}

void TestLangevin::coefficientsMatchClosedForm() {
  QFETCH(int, level);
  QFETCH(int, steps);
  const Schedule schedule;  // K = 15
  const auto& L = schedule.level(level);
  const auto c = cdrl::langevinCoefficients(schedule, levelTensor(level), steps, 1);
  // h = s²·K/K' (§4: s scaled by sqrt(K/K')); a = h/(2s²) = K/(2K'); b = h/(2β); σ = sqrt(h).
  const double h = L.s2 * 15.0 / steps;
  const double a = 15.0 / (2.0 * steps);
  const double b = L.anchored ? h / (2.0 * L.beta) : 0.0;
  QCOMPARE(c.grad_scale.sizes().vec(), (std::vector<int64_t>{1, 1}));
  QVERIFY(std::abs(c.grad_scale.item<double>() - a) <= 1e-6 * a);
  QVERIFY(std::abs(c.anchor.item<double>() - b) <= 1e-6 * b + 1e-12);
  QVERIFY(std::abs(c.noise_std.item<double>() - std::sqrt(h)) <= 1e-6 * std::sqrt(h));
  if (steps == 15) {
    // K' = K is exactly the §4 step: ½∇F − (s²/(2β))(y − x) + s·ε.
    QVERIFY(std::abs(c.grad_scale.item<double>() - 0.5) < 1e-7);
    QVERIFY(std::abs(c.noise_std.item<double>() - std::sqrt(L.s2)) <= 1e-6 * std::sqrt(L.s2));
  }
  if (level == schedule.T()) QCOMPARE(c.anchor.item<double>(), 0.0);
}

void TestLangevin::perSampleLevelsAndShapes() {
  const Schedule schedule;
  const auto levels = torch::tensor({6, 1, 3, 3, 2}, torch::kLong);
  for (int64_t dims : {1, 3}) {
    const auto c = cdrl::langevinCoefficients(schedule, levels, 15, dims);
    std::vector<int64_t> shape = {5};
    shape.insert(shape.end(), dims, 1);
    QCOMPARE(c.grad_scale.sizes().vec(), shape);
    QCOMPARE(c.anchor.sizes().vec(), shape);
    QCOMPARE(c.noise_std.sizes().vec(), shape);
    for (int64_t k = 0; k < 5; ++k) {
      const auto& L = schedule.level(static_cast<int>(levels[k].item<int64_t>()));
      const double b = L.anchored ? 1.0 / (2.0 * L.beta) * L.s2 : 0.0;
      QVERIFY(std::abs(c.anchor.flatten()[k].item<double>() - b) <= 1e-6 * b + 1e-12);
      QVERIFY(std::abs(c.noise_std.flatten()[k].item<double>() - std::sqrt(L.s2)) <=
              1e-6 * std::sqrt(L.s2));
    }
  }
}

void TestLangevin::stationaryMeanAndVariance_data() {
  QTest::addColumn<int>("level");
  QTest::addColumn<int>("steps_per_level");  // K' in the coefficients
  QTest::addColumn<double>("hP");
  QTest::newRow("i=1 K'=K hP=0.02 (small step)") << 1 << 15 << 0.02;
  QTest::newRow("i=2 K'=K hP=0.05") << 2 << 15 << 0.05;
  QTest::newRow("i=1 K'=K hP=1.0 (visible bias)") << 1 << 15 << 1.0;
  QTest::newRow("i=3 K'=5 hP=0.5") << 3 << 5 << 0.5;
  QTest::newRow("i=T K'=K hP=0.3 (no anchor)") << 6 << 15 << 0.3;
  QTest::newRow("i=T K'=3 hP=1.5 (no anchor)") << 6 << 3 << 1.5;
}

void TestLangevin::stationaryMeanAndVariance() {
  QFETCH(int, level);
  QFETCH(int, steps_per_level);
  QFETCH(double, hP);
  const Schedule schedule;
  const GaussianTarget target(schedule, level, steps_per_level, hP);
  QVERIFY(target.inv_sigma0_2 > 0);

  const int64_t N = 20000;
  const auto coeff = cdrl::langevinCoefficients(schedule, levelTensor(level), steps_per_level, 1);
  QVERIFY(std::abs(coeff.noise_std.item<double>() - std::sqrt(target.h)) <
          1e-6 * std::sqrt(target.h));

  // Every chain starts at x (distance ~1 from m); run until ρ^n < 1e-9, far below the SE.
  const double rho = std::abs(target.contraction());
  const int steps = static_cast<int>(std::ceil(std::log(1e-9) / std::log(rho)));
  LangevinOptions options;
  options.steps = steps;
  options.record = false;
  const auto x = target.x.expand({N, 2}).contiguous();
  const auto result =
      cdrl::langevinRefine(x, x, coeff, target.energy(), options, generator(1234 + level));
  QCOMPARE(result.steps_done, steps);
  QVERIFY(!result.cancelled);

  const auto y = result.y.to(torch::kDouble);  // [N, 2], coordinates independent
  const double V = target.stationaryVariance();
  const double se_mean = std::sqrt(V / N);
  const auto sample_mean = y.mean(0);
  for (int d = 0; d < 2; ++d) {
    const double diff = sample_mean[d].item<double>() - target.mean[0][d].item<double>();
    QVERIFY2(std::abs(diff) < 4.0 * se_mean,
             qPrintable(QString("dim %1: mean off by %2, SE %3").arg(d).arg(diff).arg(se_mean)));
  }
  // Pooled variance about each coordinate's sample mean; SE from the sample's fourth moment.
  const auto centred = (y - sample_mean).flatten();
  const double n = static_cast<double>(centred.numel());
  const double var = centred.pow(2).sum().item<double>() / (n - 2);
  const double m4 = centred.pow(4).mean().item<double>();
  const double se_var = std::sqrt((m4 - var * var) / n);
  QVERIFY2(std::abs(var - V) < 4.0 * se_var,
           qPrintable(QString("variance %1, closed form %2, SE %3, 1/P %4")
                          .arg(var)
                          .arg(V)
                          .arg(se_var)
                          .arg(1.0 / target.P)));
  if (hP <= 0.05) {
    // Small steps: the discretisation bias hP/4 is under the noise; the chain samples N(m, 1/P).
    QVERIFY2(std::abs(var * target.P - 1.0) < 4.0 * se_var * target.P + hP / 4.0,
             qPrintable(QString("var·P = %1").arg(var * target.P)));
    QVERIFY(std::abs(var * target.P - 1.0) < 0.04);
  }
  if (hP >= 1.0) {
    // Large steps: the same statistics separate the exact discrete law from 1/P.
    QVERIFY(var - 1.0 / target.P > 10.0 * se_var);
  }
}

void TestLangevin::fewerStepsScaleSingleStepNoise() {
  // K' = K/3 = 5 steps: h = 3·s². With F ≡ 0 at the top level (no anchor), one step from 0
  // is pure noise of std sqrt(3)·s_T.
  const Schedule schedule;
  const int T = schedule.T();
  const double s2 = schedule.level(T).s2;
  const auto coeff = cdrl::langevinCoefficients(schedule, levelTensor(T), 5, 1);
  const int64_t N = 100000;
  const auto y0 = torch::zeros({N, 1});
  LangevinOptions options;
  options.steps = 1;
  const auto flat = [](const torch::Tensor& y) { return (y * 0.0).sum(1); };
  const auto result = cdrl::langevinRefine(y0, y0, coeff, flat, options, generator(5));
  const auto y = result.y.to(torch::kDouble);
  const double sigma = std::sqrt(3.0 * s2);
  const double mean = y.mean().item<double>();
  const double std_dev = y.std().item<double>();
  QVERIFY(std::abs(mean) < 4.0 * sigma / std::sqrt(double(N)));
  // SE of a Gaussian sample std ≈ σ / sqrt(2N).
  QVERIFY2(std::abs(std_dev - sigma) < 4.0 * sigma / std::sqrt(2.0 * N),
           qPrintable(QString("std %1 expected %2").arg(std_dev).arg(sigma)));
  // Against the unscaled s_T the difference is many SEs: the sqrt(K/K') factor is there.
  QVERIFY(std::abs(std_dev - std::sqrt(s2)) > 50.0 * sigma / std::sqrt(2.0 * N));
}

void TestLangevin::fewerStepsScaleSingleStepDrift() {
  // Constant gradient g: one noiseless step at an anchored level with K' = K/3 moves
  // y by (h/(2s²))·g − (h/(2β))·(y − x) = 1.5·g − (3s²/(2β))·(y − x).
  const Schedule schedule;
  const int level = 2;
  const auto& L = schedule.level(level);
  const auto coeff = cdrl::langevinCoefficients(schedule, levelTensor(level), 5, 1);
  const auto g = torch::tensor({{0.25, -1.5}});
  const auto y0 = torch::tensor({{0.4, 0.1}, {-0.7, 0.9}});
  const auto x = torch::tensor({{0.1, 0.3}, {0.2, -0.2}});
  LangevinOptions options;
  options.steps = 1;
  options.noise = false;
  const auto linear = [g](const torch::Tensor& y) { return (y * g).sum(1); };
  const auto result = cdrl::langevinRefine(y0, x, coeff, linear, options, generator(0));
  const double anchor = 3.0 * L.s2 / (2.0 * L.beta);
  const auto expected =
      y0.to(torch::kDouble) + 1.5 * g.to(torch::kDouble) - anchor * (y0 - x).to(torch::kDouble);
  QVERIFY(torch::allclose(result.y.to(torch::kDouble), expected, 1e-6, 1e-6));
}

void TestLangevin::energyAndGradientIsAnalyticAndParameterFree() {
  // A parameter inside the energy gets no gradient, and the chain runs under FrozenWeights.
  auto w = torch::tensor({2.0, -0.5}).requires_grad_(true);
  bool frozen_inside = true;
  int calls = 0;
  const cdrl::EnergyFunction energy = [&](const torch::Tensor& y) {
    frozen_inside = frozen_inside && cdrl::FrozenWeights::active();
    ++calls;
    return -(y * w).pow(2).sum(1);  // ∇F = −2 w² y
  };
  const auto y = torch::tensor({{1.0, 2.0}, {-0.5, 0.25}});
  QVERIFY(!cdrl::FrozenWeights::active());
  const auto [F, grad] = cdrl::energyAndGradient(energy, y);
  QVERIFY(!cdrl::FrozenWeights::active());
  const auto w2 = w.detach().pow(2);
  QVERIFY(torch::allclose(F, -(y * y * w2).sum(1)));
  QVERIFY(torch::allclose(grad, -2.0 * w2 * y));
  QVERIFY(!F.requires_grad());
  QVERIFY(!grad.requires_grad());
  QVERIFY(!w.grad().defined());

  const Schedule schedule;
  const auto coeff = cdrl::langevinCoefficients(schedule, levelTensor(1), 15, 1);
  LangevinOptions options;
  options.steps = 4;
  const auto result = cdrl::langevinRefine(y, y, coeff, energy, options, generator(3));
  QCOMPARE(calls, 5);
  QVERIFY(frozen_inside);
  QVERIFY(!w.grad().defined());
  QVERIFY(!result.y.requires_grad());
}

void TestLangevin::noiseOffIsDeterministicGradientAscent() {
  const Schedule schedule;
  const GaussianTarget target(schedule, 3, 15, 0.4);
  const auto coeff = cdrl::langevinCoefficients(schedule, levelTensor(3), 15, 1);
  LangevinOptions options;
  options.steps = 12;
  options.noise = false;
  const auto y0 = torch::tensor({{1.0, 1.0}, {-2.0, 0.5}, {0.0, 0.0}});
  const auto x = target.x.expand({3, 2});
  const auto a = cdrl::langevinRefine(y0, x, coeff, target.energy(), options, generator(1));
  const auto b = cdrl::langevinRefine(y0, x, coeff, target.energy(), options, generator(99));
  QVERIFY(torch::equal(a.y, b.y));
  // y_n − m = ρ^n (y_0 − m).
  const auto expected =
      target.mean + std::pow(target.contraction(), 12) * (y0.to(torch::kDouble) - target.mean);
  QVERIFY(torch::allclose(a.y.to(torch::kDouble), expected, 1e-5, 1e-6));
}

void TestLangevin::seedReproducesChain() {
  const Schedule schedule;
  const GaussianTarget target(schedule, 2, 15, 0.3);
  const auto coeff = cdrl::langevinCoefficients(schedule, levelTensor(2), 15, 1);
  LangevinOptions options;
  options.steps = 6;
  const auto x = target.x.expand({8, 2}).contiguous();
  const auto a = cdrl::langevinRefine(x, x, coeff, target.energy(), options, generator(42));
  const auto b = cdrl::langevinRefine(x, x, coeff, target.energy(), options, generator(42));
  const auto c = cdrl::langevinRefine(x, x, coeff, target.energy(), options, generator(43));
  QVERIFY(torch::equal(a.y, b.y));
  QVERIFY(!torch::equal(a.y, c.y));
}

void TestLangevin::recordsEnergyAndDisplacement() {
  const Schedule schedule;
  const GaussianTarget target(schedule, 1, 15, 0.5);
  const auto coeff = cdrl::langevinCoefficients(schedule, levelTensor(1), 15, 1);
  LangevinOptions options;
  options.steps = 5;
  options.noise = false;
  const auto y0 = torch::tensor({{1.0, -1.0}, {0.2, 0.3}});
  const auto x = target.x.expand({2, 2});
  const auto r = cdrl::langevinRefine(y0, x, coeff, target.energy(), options, generator(0));
  QCOMPARE(int(r.energy.size()), 5);
  QCOMPARE(int(r.displacement.size()), 5);
  const auto y0d = y0.to(torch::kDouble);
  const auto offset = y0d - target.mean;
  const auto mu = target.mu.to(torch::kDouble);
  for (int k = 0; k < 5; ++k) {
    // Before step k: y_k = m + ρ^k (y_0 − m); energy is the batch mean of F(y_k).
    const auto yk = target.mean + std::pow(target.contraction(), k) * offset;
    const double F =
        (-target.s2 * target.inv_sigma0_2 / 2.0 * (yk - mu).pow(2).sum(1)).mean().item<double>();
    QVERIFY2(std::abs(r.energy[k] - F) <= 1e-4 * std::abs(F) + 1e-9,
             qPrintable(QString("step %1: %2 vs %3").arg(k).arg(r.energy[k]).arg(F)));
    // After step k: ‖y_{k+1} − ŷ‖ = (1 − ρ^{k+1})·‖y_0 − m‖, averaged over the batch.
    const double disp =
        ((1.0 - std::pow(target.contraction(), k + 1)) * offset.norm(2, 1)).mean().item<double>();
    QVERIFY(std::abs(r.displacement[k] - disp) <= 1e-4 * disp + 1e-7);
  }
  options.record = false;
  const auto quiet = cdrl::langevinRefine(y0, x, coeff, target.energy(), options, generator(0));
  QVERIFY(quiet.energy.empty());
  QVERIFY(quiet.displacement.empty());
  QVERIFY(torch::equal(quiet.y, r.y));
}

void TestLangevin::keepStepsReturnsOneTensorPerStep() {
  const Schedule schedule;
  const GaussianTarget target(schedule, 4, 15, 0.6);
  const auto coeff = cdrl::langevinCoefficients(schedule, levelTensor(4), 15, 1);
  LangevinOptions options;
  options.steps = 7;
  options.keep_steps = true;
  options.noise = false;
  const auto y0 = torch::tensor({{0.9, -0.9}, {0.0, 0.4}, {-1.0, 0.1}});
  const auto x = target.x.expand({3, 2});
  const auto r = cdrl::langevinRefine(y0, x, coeff, target.energy(), options, generator(0));
  QCOMPARE(int(r.steps.size()), 7);
  for (int k = 0; k < 7; ++k) {
    QVERIFY(r.steps[k].device().is_cpu());
    QCOMPARE(r.steps[k].sizes().vec(), y0.sizes().vec());
    const auto expected =
        target.mean + std::pow(target.contraction(), k + 1) * (y0.to(torch::kDouble) - target.mean);
    QVERIFY(torch::allclose(r.steps[k].to(torch::kDouble), expected, 1e-5, 1e-6));
  }
  QVERIFY(torch::equal(r.steps.back(), r.y));

  // keep_samples keeps the first rows of the same chain, nothing else.
  options.keep_samples = 2;
  const auto part = cdrl::langevinRefine(y0, x, coeff, target.energy(), options, generator(0));
  QCOMPARE(int(part.steps.size()), 7);
  for (int k = 0; k < 7; ++k) QVERIFY(torch::equal(part.steps[k], r.steps[k].slice(0, 0, 2)));
  options.keep_samples = -1;

  options.keep_steps = false;
  const auto none = cdrl::langevinRefine(y0, x, coeff, target.energy(), options, generator(0));
  QVERIFY(none.steps.empty());
}

void TestLangevin::cancellationStopsBetweenSteps() {
  const Schedule schedule;
  const GaussianTarget target(schedule, 2, 15, 0.2);
  const auto coeff = cdrl::langevinCoefficients(schedule, levelTensor(2), 15, 1);
  std::atomic<bool> cancel{false};
  int calls = 0;
  const auto inner = target.energy();
  const cdrl::EnergyFunction energy = [&](const torch::Tensor& y) {
    if (++calls == 3) cancel.store(true);
    return inner(y);
  };
  LangevinOptions options;
  options.steps = 20;
  options.keep_steps = true;
  const auto x = target.x.expand({4, 2}).contiguous();
  const auto r = cdrl::langevinRefine(x, x, coeff, energy, options, generator(8), &cancel);
  QVERIFY(r.cancelled);
  // The step whose energy call raised the flag completes; the next one does not start.
  QCOMPARE(r.steps_done, 3);
  QCOMPARE(calls, 3);
  QCOMPARE(int(r.steps.size()), 3);
  QCOMPARE(int(r.energy.size()), 3);
  QVERIFY(torch::equal(r.steps.back(), r.y));

  // Without a flag the same chain runs to the end.
  const auto full = cdrl::langevinRefine(x, x, coeff, inner, options, generator(8));
  QVERIFY(!full.cancelled);
  QCOMPARE(full.steps_done, 20);
  // Same seed: the first three steps are the same chain.
  QVERIFY(torch::equal(full.steps[2], r.y));
}

void TestLangevin::cancelledBeforeStartLeavesProposal() {
  const Schedule schedule;
  const GaussianTarget target(schedule, 2, 15, 0.2);
  const auto coeff = cdrl::langevinCoefficients(schedule, levelTensor(2), 15, 1);
  std::atomic<bool> cancel{true};
  LangevinOptions options;
  const auto y0 = torch::tensor({{0.3, 0.2}});
  const auto r =
      cdrl::langevinRefine(y0, target.x, coeff, target.energy(), options, generator(0), &cancel);
  QVERIFY(r.cancelled);
  QCOMPARE(r.steps_done, 0);
  QVERIFY(torch::equal(r.y, y0));
}

QTEST_APPLESS_MAIN(TestLangevin)
#include "test_langevin.moc"
