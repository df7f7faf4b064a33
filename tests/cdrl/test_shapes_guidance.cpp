// Classifier-free guidance works on the bundled, briefly trained attribute model
// (resources/models/shapes-tiny.safetensors; recipe and per-attribute figures in docs/models.md):
// guiding towards "<attribute>=<value>" makes the exact detector find that value in clearly more
// samples than unguided sampling of the same model with the same seed.
#include "cdrl/concepts.h"
#include "cdrl/model_checkpoint.h"
#include "cdrl/sampler.h"
#include "data/shapes_data.h"

#include <QtTest>

#include <cmath>

using namespace cdrl;

class TestShapesGuidance : public QObject {
  Q_OBJECT

 private:
  static constexpr int64_t kSamples = 64;
  static constexpr double kGuidance = 3.0;

  // The detector's attributes [kSamples, 5] of samples drawn under `condition` (seed 11).
  static torch::Tensor detected(Model& model, const Condition& condition) {
    SampleOptions options;
    options.count = kSamples;
    options.seed = 11;
    options.condition = condition;
    return detectShapeAttributes(sample(model, options).samples.clamp(-1, 1)).to(torch::kDouble);
  }

  // Share of rows of `attributes` in which `attribute` reads as `value`.
  static double share(const torch::Tensor& attributes, int64_t attribute, int value) {
    const auto found = attributes.select(1, attribute);
    return (value == 1 ? found : 1 - found).mean().item<double>();
  }

 private Q_SLOTS:
  void guidanceRaisesTheRequestedValue_data() {
    QTest::addColumn<QString>("attribute");
    QTest::addColumn<int>("value");
    // The attributes this short run has learned to tell apart (docs/models.md lists all five).
    QTest::newRow("dark_background=1") << "dark_background" << 1;
    QTest::newRow("dark_background=0") << "dark_background" << 0;
    QTest::newRow("red=0") << "red" << 0;
  }

  void guidanceRaisesTheRequestedValue() {
    QFETCH(QString, attribute);
    QFETCH(int, value);
    static auto model =
        loadModel(readCheckpoint(CDRL_SOURCE_MODELS_DIR "/shapes-tiny.safetensors"), torch::kCPU);
    const ModelConfig& config = model->config();
    const std::string name = attribute.toStdString();
    const auto names = attributeNames(config);
    const auto a =
        static_cast<int64_t>(std::find(names.begin(), names.end(), name) - names.begin());
    QVERIFY(a < static_cast<int64_t>(names.size()));
    static const torch::Tensor unguided_attributes = detected(*model, Condition::none());
    const double unguided = share(unguided_attributes, a, value);
    const double guided = share(
        detected(*model, Condition::guided(conceptLabel(config, name + "=" + std::to_string(value)),
                                           kGuidance)),
        a, value);
    // "Clearly more": the rise is over three standard errors of a difference of two shares.
    const double se = std::sqrt((guided * (1 - guided) + unguided * (1 - unguided)) / kSamples);
    const double z = (guided - unguided) / std::max(se, 1.0 / kSamples);
    qInfo("%s=%d share: unguided %.3f, guided (w = %.0f) %.3f, z = %.1f", name.c_str(), value,
          unguided, kGuidance, guided, z);
    QVERIFY2(z > 3, "guidance did not clearly raise the share of the requested value");
  }
};

QTEST_APPLESS_MAIN(TestShapesGuidance)
#include "test_shapes_guidance.moc"
