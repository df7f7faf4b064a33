// A toy2d training run converges: the EMA samples' energy distance to held-out data falls well
// below that of the untrained model and of pure noise.
#include "cdrl/preset.h"
#include "cdrl/sampler.h"
#include "cdrl/trainer.h"
#include "data/toy_data.h"
#include "eval/distance.h"

#include <QtTest>

using namespace cdrl;

class TestTrainToy : public QObject {
  Q_OBJECT

 private:
  static constexpr int kSteps = 1200;
  static constexpr int64_t kSamples = 1000;

  static torch::Tensor draw(Model& model, uint64_t seed) {
    SampleOptions options;
    options.count = kSamples;
    options.seed = seed;
    return sample(model, options).samples;
  }

 private Q_SLOTS:
  void emaSamplesApproachTheData_data() {
    QTest::addColumn<QString>("shape");
    QTest::newRow("8gaussians") << "8gaussians";
  }
  void emaSamplesApproachTheData() {
    QFETCH(QString, shape);
    const ToyShape toy = toyShapeFromString(shape.toStdString());
    const Dataset data = makeToyDataset(toy, 20000, 1);
    const torch::Tensor held_out = sampleToy(toy, kSamples, at::detail::createCPUGenerator(2));
    const ModelConfig config = presetFor("toy2d", data, false);

    torch::manual_seed(0);
    Model untrained(config, torch::kCPU);
    const double d_untrained = energyDistance(draw(untrained, 3), held_out);
    const double d_noise = energyDistance(torch::randn({kSamples, 2}), held_out);

    torch::manual_seed(0);
    Model model(config, torch::kCPU);
    Trainer trainer(model, data, preset("toy2d").training);
    for (int k = 0; k < kSteps; ++k) trainer.step();
    const double d_trained = energyDistance(draw(model, 3), held_out);
    qInfo("energy distance to held-out data: trained %.4f, untrained %.4f, noise %.4f", d_trained,
          d_untrained, d_noise);
    QVERIFY2(d_trained < 0.25 * d_untrained, "not well below the untrained model");
    QVERIFY2(d_trained < 0.25 * d_noise, "not well below pure noise");
  }
};

QTEST_APPLESS_MAIN(TestTrainToy)
#include "test_train_toy.moc"
