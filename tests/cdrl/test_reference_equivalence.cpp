// The plain-PyTorch reference of bench/reference (what the benchmarks race against) computes the
// same energy F(y; λ_i, c) and gradient ∂F/∂y as core on the same checkpoint, so both sides of a
// benchmark do the same work. Runs Debian's /usr/bin/python3 with python3-torch.
#include "cdrl/langevin.h"
#include "cdrl/model_checkpoint.h"
#include "model_support.h"
#include "test_support.h"

#include <QProcess>
#include <QtTest>

using namespace cdrl;

class TestReferenceEquivalence : public QObject {
  Q_OBJECT

 private:
  static constexpr const char* kPython = "/usr/bin/python3";

  // max |a − b| / (max |b| + tiny): one tolerance for the whole tensor, as float rounding scales
  // with the values' magnitude.
  static double relativeError(const torch::Tensor& a, const torch::Tensor& b) {
    return (a - b).abs().max().item<double>() / (b.abs().max().item<double>() + 1e-30);
  }

 private Q_SLOTS:
  void initTestCase() {
    if (!QFileInfo::exists(kPython)) QSKIP("no /usr/bin/python3 (packaging/install-deps.sh)");
  }

  void energyAndGradientMatch_data() {
    QTest::addColumn<QString>("kind");
    QTest::addColumn<int>("level");
    QTest::addColumn<int>("label");
    QTest::newRow("toy2d, level 0, ∅") << "toy" << 0 << 0;
    QTest::newRow("toy2d, level 4, class 2") << "toy" << 4 << 2;
    QTest::newRow("toy2d with Fourier features, level 1, class 1") << "toy-fourier" << 1 << 1;
    QTest::newRow("fmnist-tiny layout, level 0, ∅") << "image" << 0 << 0;
    QTest::newRow("fmnist-tiny layout, level 5, class 3") << "image" << 5 << 3;
  }

  void energyAndGradientMatch() {
    QFETCH(QString, kind);
    QFETCH(int, level);
    QFETCH(int, label);
    torch::manual_seed(21);
    ModelConfig config = kind == "image" ? test::smallImageConfig() : test::smallToyConfig(3);
    if (kind == "toy-fourier") {
      config.ebm.fourier_features = 16;
      config.ebm.fourier_scale = 0.5;
      config.ebm.fourier_normalised = true;
    }
    if (kind == "image") {
      config.num_classes = 4;
      config.class_names = {"a", "b", "c", "d"};
    }
    Model model(config, torch::kCPU);
    const std::string dir = test::tempDir("reference_" + kind);
    const std::string checkpoint = dir + "/model.safetensors";
    saveCheckpoint(checkpoint, model);

    std::vector<int64_t> shape{6};
    shape.insert(shape.end(), config.data_shape.begin(), config.data_shape.end());
    const auto x = torch::randn(shape);
    TensorFile input;
    input.tensors["x"] = x;
    writeTensorFile(dir + "/x.safetensors", input);

    // Core: the EMA energy network in inference mode, as the sampler and `cdrl ood` use it.
    NetworkPair nets = model.ema();
    nets.ebm.eval();
    const auto lambda = torch::full({x.size(0)}, model.schedule().level(level).lambda);
    const auto labels = torch::full({x.size(0)}, label, torch::kLong);
    const auto emb = nets.ebm.embed(lambda, labels);
    const auto [energy, grad] =
        energyAndGradient([&](const torch::Tensor& y) { return nets.ebm.energy(y, emb); }, x);

    QProcess python;
    python.start(kPython,
                 {QStringLiteral(CDRL_SOURCE_DIR "/bench/reference/cdrl_reference.py"), "energy",
                  "--checkpoint", QString::fromStdString(checkpoint), "--input",
                  QString::fromStdString(dir + "/x.safetensors"), "--output",
                  QString::fromStdString(dir + "/y.safetensors"), "--level", QString::number(level),
                  "--label", QString::number(label), "--threads", "1"});
    QVERIFY(python.waitForFinished(120000));
    QVERIFY2(python.exitCode() == 0, python.readAllStandardError().constData());
    const TensorFile out = readTensorFile(dir + "/y.safetensors");
    const auto ref_energy = out.tensors.at("energy");
    const auto ref_grad = out.tensors.at("grad");
    QCOMPARE(ref_energy.sizes().vec(), energy.sizes().vec());
    QCOMPARE(ref_grad.sizes().vec(), grad.sizes().vec());
    // Different kernels and summation orders in float32: agreement to ~1e-6 relative is all
    // that "the same function" can mean; 1e-4 leaves room for oneDNN vs. im2col convolutions.
    const double e_err = relativeError(energy, ref_energy);
    const double g_err = relativeError(grad, ref_grad);
    qInfo("relative error: energy %.2e, gradient %.2e", e_err, g_err);
    QVERIFY2(e_err < 1e-4, qPrintable(QString("energy differs by %1").arg(e_err)));
    QVERIFY2(g_err < 1e-4, qPrintable(QString("gradient differs by %1").arg(g_err)));
    // A wrong level or label would change the energy far beyond that tolerance.
    const auto other = nets.ebm.energy(x, nets.ebm.embed(lambda, (labels + 1) % 4)).detach();
    QVERIFY(relativeError(other, ref_energy) > 1e-3);
  }
};

QTEST_APPLESS_MAIN(TestReferenceEquivalence)
#include "test_reference_equivalence.moc"
