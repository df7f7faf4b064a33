// The typicality OOD score (eval/typicality, eval/gaussian_fit, eval/calibration_file): the
// Gaussian fit against known parameters and the closed-form density, determinism, the calibration
// round trip through a checkpoint, and far-away points on the bundled 2-D model.
#include "cdrl/model_checkpoint.h"
#include "data/toy_data.h"
#include "eval/calibration_file.h"
#include "eval/gaussian_fit.h"
#include "eval/typicality.h"
#include "model_support.h"
#include "test_support.h"

#include <QtTest>

#include <ATen/CPUGeneratorImpl.h>

#include <cmath>

using namespace cdrl;

namespace {

// A known mean and a correlated covariance in p = 4 dimensions.
torch::Tensor knownMean() { return torch::tensor({1.0, -2.0, 0.5, 10.0}, torch::kDouble); }

torch::Tensor knownCovariance() {
  const auto A = torch::tensor(
      {{1.0, 0.0, 0.0, 0.0}, {0.8, 0.6, 0.0, 0.0}, {-0.3, 0.2, 0.5, 0.0}, {0.0, 0.0, 1.0, 3.0}},
      torch::kDouble);
  return A.matmul(A.t());
}

torch::Tensor sampleKnown(int64_t n, uint64_t seed) {
  auto g = at::make_generator<at::CPUGeneratorImpl>(seed);
  const auto L = torch::linalg_cholesky(knownCovariance());
  return knownMean() + torch::randn({n, 4}, g, torch::kDouble).matmul(L.t());
}

std::unique_ptr<Model> bundledToy() {
  return loadModel(readCheckpoint(CDRL_SOURCE_MODELS_DIR "/toy2d.safetensors"), torch::kCPU);
}

}  // namespace

class TestTypicality : public QObject {
  Q_OBJECT

 private Q_SLOTS:
  void gaussianFitRecoversKnownMeanAndCovariance();
  void gaussianFitShrinksWhenSamplesAreFew();
  void logDensityIsTheClosedForm();
  void fitRejectsBadFeatures();
  void percentileInterpolatesTheQuantiles();
  void scoreIsDeterministicAndBatchFree();
  void calibrationRoundTripsThroughTheCheckpoint();
  void farPointsScoreBelowEveryDataPoint();
};

void TestTypicality::gaussianFitRecoversKnownMeanAndCovariance() {
  const int64_t n = 40000;
  const auto fit = fitShrunkGaussian(sampleKnown(n, 7));
  const auto sigma = knownCovariance();
  // Mean within 4 standard errors per coordinate.
  const auto se = (sigma.diagonal() / n).sqrt();
  QVERIFY(((fit.mean - knownMean()).abs() <= 4 * se).all().item<bool>());
  // Covariance of the features = S·Σ_z·S; with n ≫ p the shrinkage is small.
  QVERIFY2(fit.shrinkage < 0.01, qPrintable(QString::number(fit.shrinkage)));
  const auto recovered = fit.scale.unsqueeze(1) * fit.covariance * fit.scale.unsqueeze(0);
  const double error = (recovered - sigma).abs().max().item<double>();
  const double size = sigma.abs().max().item<double>();
  QVERIFY2(error < 0.03 * size, qPrintable(QString("max error %1 of %2").arg(error).arg(size)));
}

void TestTypicality::gaussianFitShrinksWhenSamplesAreFew() {
  // 6 samples in 4 dimensions: the sample covariance is barely determined; shrinkage pulls it
  // towards a multiple of the identity and keeps it positive definite.
  const auto fit = fitShrunkGaussian(sampleKnown(6, 3));
  QVERIFY(fit.shrinkage > 0.0 && fit.shrinkage <= 1.0);
  QVERIFY(torch::linalg_eigvalsh(fit.covariance).min().item<double>() > 0);
  const auto ld = gaussianLogDensity(fit, sampleKnown(10, 4));
  QVERIFY(torch::isfinite(ld).all().item<bool>());
}

void TestTypicality::logDensityIsTheClosedForm() {
  GaussianFit fit;
  fit.mean = knownMean();
  fit.scale = torch::tensor({2.0, 0.5, 1.0, 3.0}, torch::kDouble);
  fit.covariance = knownCovariance() / 4;
  const auto f = sampleKnown(5, 11);
  const auto ld = gaussianLogDensity(fit, f);
  // log N(f; μ, S Σ S) written out: S Σ S is the features' covariance.
  const auto C = fit.scale.unsqueeze(1) * fit.covariance * fit.scale.unsqueeze(0);
  const auto Ci = torch::inverse(C);
  for (int64_t k = 0; k < f.size(0); ++k) {
    const auto d = f[k] - fit.mean;
    const double q = d.dot(Ci.matmul(d)).item<double>();
    const double expected =
        -0.5 * (q + std::log(torch::det(C).item<double>()) + 4 * std::log(2 * M_PI));
    QVERIFY2(std::abs(ld[k].item<double>() - expected) < 1e-9 * (1 + std::abs(expected)),
             qPrintable(QString("%1 vs %2").arg(ld[k].item<double>()).arg(expected)));
  }
  // The marginal of columns {0, 2}: the closed form with the 2×2 block.
  const auto idx = torch::tensor({0, 2}, torch::kLong);
  const auto Cm = C.index_select(0, idx).index_select(1, idx);
  const auto dm = (f - fit.mean).index_select(1, idx)[0];
  const double expected = -0.5 * (dm.dot(torch::inverse(Cm).matmul(dm)).item<double>() +
                                  std::log(torch::det(Cm).item<double>()) + 2 * std::log(2 * M_PI));
  const double got = gaussianLogDensity(fit, f, {0, 2})[0].item<double>();
  QVERIFY(std::abs(got - expected) < 1e-9 * (1 + std::abs(expected)));
}

void TestTypicality::fitRejectsBadFeatures() {
  QVERIFY(test::contains(test::errorOf([] {
                           fitShrunkGaussian(torch::zeros({1, 3}));
                         }),
                         "at least 2 rows"));
  auto bad = sampleKnown(10, 1);
  bad[3][2] = std::nan("");
  QVERIFY(test::contains(test::errorOf([&] { fitShrunkGaussian(bad); }), "NaN"));
}

void TestTypicality::percentileInterpolatesTheQuantiles() {
  Calibration c;
  c.quantiles = torch::linspace(-500.0, 500.0, kCalibrationQuantiles, torch::kDouble);
  QCOMPARE(percentileOf(c, -1000), 0.0);
  QCOMPARE(percentileOf(c, 1000), 100.0);
  QVERIFY(std::abs(percentileOf(c, 0) - 50.0) < 1e-9);
  QVERIFY(std::abs(percentileOf(c, -400.5) - 9.95) < 1e-9);
}

void TestTypicality::scoreIsDeterministicAndBatchFree() {
  torch::manual_seed(5);
  Model model(test::smallToyConfig(), torch::kCPU);
  const auto x = torch::randn({9, 2});
  TypicalityOptions a;
  a.draws = 3;
  a.seed = 17;
  a.batch = 128;
  TypicalityOptions b = a;
  b.batch = 2;
  const auto fa = typicalityFeatures(model, x, a);
  torch::manual_seed(999);  // the global generator plays no part
  const auto fb = typicalityFeatures(model, x, b);
  QCOMPARE(fa.sizes().vec(), (std::vector<int64_t>{9, 3 * model.schedule().T()}));
  QVERIFY(torch::allclose(fa, fb, 1e-6, 1e-6));
  QVERIFY(torch::equal(fa, typicalityFeatures(model, x, a)));
  // Another seed draws other noise: the features move.
  TypicalityOptions c = a;
  c.seed = 18;
  QVERIFY(!torch::allclose(fa, typicalityFeatures(model, x, c)));
}

void TestTypicality::calibrationRoundTripsThroughTheCheckpoint() {
  torch::manual_seed(6);
  Model model(test::smallToyConfig(), torch::kCPU);
  const std::string path = test::tempDir("typicality") + "/calibrated.safetensors";
  saveCheckpoint(path, model);
  const auto data = makeToyDataset(ToyShape::EightGaussians, 200, 3).data;
  TypicalityOptions options;
  options.seed = 4;
  const Calibration c = calibrate(model, data, options, "toy:8gaussians");
  writeCalibration(path, c);
  const Checkpoint reread = readCheckpoint(path);
  const auto back = findCalibration(reread);
  QVERIFY(back.has_value());
  QVERIFY(torch::equal(back->fit.mean, c.fit.mean));
  QVERIFY(torch::equal(back->fit.scale, c.fit.scale));
  QVERIFY(torch::equal(back->fit.covariance, c.fit.covariance));
  QVERIFY(torch::equal(back->quantiles, c.quantiles));
  QCOMPARE(back->fit.shrinkage, c.fit.shrinkage);
  QCOMPARE(back->data, c.data);
  QCOMPARE(back->count, int64_t{200});
  QCOMPARE(back->options.seed, uint64_t{4});
  QCOMPARE(back->options.draws, c.options.draws);
  QCOMPARE(back->per_level, int64_t{3});
  // The model in the file is untouched: the same energies as before.
  auto loaded = loadModel(reread, torch::kCPU);
  QVERIFY(torch::equal(typicalityScores(*loaded, *back, data).score,
                       typicalityScores(model, c, data).score));
}

void TestTypicality::farPointsScoreBelowEveryDataPoint() {
  auto model = bundledToy();
  // Held-out points of the model's own data, in the model's units ([−1, 1]).
  const auto train = makeToyDataset(ToyShape::EightGaussians, 2000, 1);
  const auto held_out = makeToyDataset(ToyShape::EightGaussians, 500, 2).data;
  TypicalityOptions options;
  const Calibration c = calibrate(*model, train.data.slice(0, 0, 1000), options, "toy:8gaussians");
  const auto in = typicalityScores(*model, c, held_out);
  // Far outside the data in every direction: 16 directions at radii 4 and 8.
  std::vector<torch::Tensor> far;
  for (double r : {4.0, 8.0})
    for (int k = 0; k < 16; ++k) {
      const double angle = 2 * M_PI * k / 16;
      far.push_back(torch::tensor({r * std::cos(angle), r * std::sin(angle)}, torch::kFloat));
    }
  const auto out = typicalityScores(*model, c, torch::stack(far));
  const double lowest_in = in.score.min().item<double>();
  const double highest_out = out.score.max().item<double>();
  QVERIFY2(highest_out < lowest_in,
           qPrintable(QString("far %1 ≥ data %2").arg(highest_out).arg(lowest_in)));
  // Some level flags each far point beyond the 95% line.
  QVERIFY((out.per_level.amax(1) > chiSquare95(c.per_level)).all().item<bool>());
}

QTEST_APPLESS_MAIN(TestTypicality)
#include "test_typicality.moc"
