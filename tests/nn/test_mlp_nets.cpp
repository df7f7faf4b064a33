// The toy2d MLP trunk's Fourier features of the input ([x, g·sin 2πxB, g·cos 2πxB], g = 1/√M or 1;
// NetworkConfig): the map against the formula evaluated here, B's scale, the configuration's JSON
// and checks.
#include "io/network_config.h"
#include "nn/mlp_nets.h"

#include <QtTest>

#include <cmath>

using cdrl::Architecture;
using cdrl::MlpTrunk;
using cdrl::NetworkConfig;

namespace {

NetworkConfig mlp(int64_t fourier, double scale) {
  NetworkConfig c;
  c.width = 16;
  c.multipliers = {1, 1};
  c.embed_dim = 8;
  c.fourier_features = fourier;
  c.fourier_scale = scale;
  return c;
}

}  // namespace

class TestMlpNets : public QObject {
  Q_OBJECT

 private Q_SLOTS:
  void init() { torch::manual_seed(7); }

  void withoutFourierFeaturesTheInputIsUnchanged() {
    MlpTrunk trunk(mlp(0, 1.0), 2, 32, cdrl::Activation::Silu);
    const auto x = torch::randn({5, 2});
    QVERIFY(torch::equal(trunk->features(x), x));
    for (const auto& buffer : trunk->named_buffers(false)) QVERIFY(buffer.key() != "fourier");
  }

  void featuresFollowTheFormula_data() {
    QTest::addColumn<bool>("normalised");
    QTest::addColumn<double>("gain");
    QTest::newRow("normalised (sin, cos / √M)") << true << 1.0 / std::sqrt(6.0);
    QTest::newRow("raw (files before work session 15)") << false << 1.0;
  }

  // Each feature evaluated from its definition, one scalar at a time in double precision.
  void featuresFollowTheFormula() {
    QFETCH(bool, normalised);
    QFETCH(double, gain);
    const int64_t m = 6;
    auto config = mlp(m, 3.0);
    config.fourier_normalised = normalised;
    MlpTrunk trunk(config, 2, 32, cdrl::Activation::Silu);
    const auto B = trunk->named_buffers(false)["fourier"].to(torch::kDouble);
    QCOMPARE(B.sizes(), (torch::IntArrayRef{2, m}));
    const auto x = torch::randn({4, 2});
    const auto phi = trunk->features(x).to(torch::kDouble);
    QCOMPARE(phi.sizes(), (torch::IntArrayRef{4, 2 + 2 * m}));
    const auto xd = x.to(torch::kDouble);
    for (int64_t n = 0; n < 4; ++n) {
      QCOMPARE(phi[n][0].item<double>(), xd[n][0].item<double>());
      QCOMPARE(phi[n][1].item<double>(), xd[n][1].item<double>());
      for (int64_t j = 0; j < m; ++j) {
        const double phase = 2 * M_PI *
                             (xd[n][0].item<double>() * B[0][j].item<double>() +
                              xd[n][1].item<double>() * B[1][j].item<double>());
        QVERIFY(std::abs(phi[n][2 + j].item<double>() - gain * std::sin(phase)) < 1e-4);
        QVERIFY(std::abs(phi[n][2 + m + j].item<double>() - gain * std::cos(phase)) < 1e-4);
      }
    }
  }

  // B's entries are N(0, scale²): the sample standard deviation of 8 192 of them lies within
  // 4 standard errors (scale / √(2·8192) each) of the scale, and their mean near 0.
  void frequenciesHaveTheConfiguredScale() {
    const double scale = 2.5;
    MlpTrunk trunk(mlp(4096, scale), 2, 32, cdrl::Activation::Silu);
    const auto B = trunk->named_buffers(false)["fourier"].to(torch::kDouble);
    const double n = static_cast<double>(B.numel());
    const double sd = B.std().item<double>();
    QVERIFY2(std::abs(sd - scale) < 4 * scale / std::sqrt(2 * n), qPrintable(QString::number(sd)));
    QVERIFY(std::abs(B.mean().item<double>()) < 4 * scale / std::sqrt(n));
  }

  // A feature is periodic: moving x by a vector v with v·B_j = 1 leaves feature j unchanged.
  void featuresArePeriodicAlongTheirFrequency() {
    MlpTrunk trunk(mlp(3, 1.5), 2, 32, cdrl::Activation::Silu);
    const auto B = trunk->named_buffers(false)["fourier"];
    const auto b0 = B.select(1, 0);
    const auto v = b0 / b0.dot(b0);  // v·b0 = 1
    const auto x = torch::randn({3, 2});
    const auto a = trunk->features(x);
    const auto b = trunk->features(x + v.unsqueeze(0));
    QVERIFY(torch::allclose(a.select(1, 2), b.select(1, 2), 1e-4, 1e-4));
    QVERIFY(torch::allclose(a.select(1, 5), b.select(1, 5), 1e-4, 1e-4));
    QVERIFY(!torch::allclose(a.select(1, 3), b.select(1, 3), 1e-3, 1e-3));
  }

  void configurationRoundTripsAndOldFilesReadAsNone() {
    auto json = cdrl::toJson(mlp(64, 2.0));
    const auto back = cdrl::networkConfigFromJson(json);
    QCOMPARE(back.fourier_features, int64_t{64});
    QCOMPARE(back.fourier_scale, 2.0);
    QCOMPARE(back.fourier_normalised, true);  // what new configurations get
    auto raw = mlp(64, 2.0);
    raw.fourier_normalised = false;
    QCOMPARE(cdrl::networkConfigFromJson(cdrl::toJson(raw)).fourier_normalised, false);
    // Work session 14's files have features but no "fourier_normalised": they used the raw map.
    json.erase("fourier_normalised");
    const auto session14 = cdrl::networkConfigFromJson(json);
    QCOMPARE(session14.fourier_features, int64_t{64});
    QCOMPARE(session14.fourier_normalised, false);
    json.erase("fourier_features");
    json.erase("fourier_scale");
    const auto old = cdrl::networkConfigFromJson(json);
    QCOMPARE(old.fourier_features, int64_t{0});
    QCOMPARE(old.fourier_scale, 1.0);
  }

  void badConfigurationsAreRejected() {
    auto conv = mlp(8, 1.0);
    conv.architecture = Architecture::ConvEbm;
    QVERIFY_THROWS_EXCEPTION(std::invalid_argument, conv.validate("ebm"));
    QVERIFY_THROWS_EXCEPTION(std::invalid_argument, mlp(-1, 1.0).validate("ebm"));
    QVERIFY_THROWS_EXCEPTION(std::invalid_argument, mlp(8, 0.0).validate("ebm"));
    QVERIFY_THROWS_EXCEPTION(std::invalid_argument, mlp(8, std::nan("")).validate("ebm"));
    mlp(8, 1.0).validate("ebm");
  }
};

QTEST_MAIN(TestMlpNets)
#include "test_mlp_nets.moc"
