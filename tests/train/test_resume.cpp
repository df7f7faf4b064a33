// Resuming from a checkpoint reproduces the uninterrupted run's next losses exactly.
#include "checkpoint.h"
#include "test_support.h"
#include "toy_data.h"

#include <QtTest>

using namespace cdrl;

class TestResume : public QObject {
  Q_OBJECT

 private:
  static TrainOptions options() {
    TrainOptions o;
    o.batch = 64;
    o.warmup = 4;
    o.seed = 5;
    return o;
  }

  static std::vector<double> losses(Trainer& trainer, int steps) {
    std::vector<double> out;
    for (int k = 0; k < steps; ++k) {
      const auto s = trainer.step();
      out.push_back(s.loss_ebm);
      out.push_back(s.loss_init);
    }
    return out;
  }

 private Q_SLOTS:
  void resumeMatchesUninterruptedRun_data() {
    QTest::addColumn<int>("classes");
    QTest::newRow("unconditional") << 0;
    QTest::newRow("class-conditional") << 3;
  }
  void resumeMatchesUninterruptedRun() {
    QFETCH(int, classes);
    Dataset data = makeToyDataset(ToyShape::Rings, 2048, 3);
    if (classes > 0) {
      data.labels = torch::arange(data.size()) % classes;
      data.class_names = {"a", "b", "c"};
    }
    const ModelConfig config = test::smallToyConfig(classes);
    const std::string path = test::tempDir("resume") + "/mid.safetensors";

    torch::manual_seed(9);
    Model straight_model(config, torch::kCPU);
    Trainer straight(straight_model, data, options());
    losses(straight, 4);
    const auto expected = losses(straight, 4);

    torch::manual_seed(9);
    Model first_model(config, torch::kCPU);
    Trainer first(first_model, data, options());
    losses(first, 4);
    saveCheckpoint(path, first_model, &first);

    torch::manual_seed(12345);  // a different global state: the checkpoint must restore it
    const Checkpoint checkpoint = readCheckpoint(path);
    auto resumed_model = loadModel(checkpoint, torch::kCPU);
    Trainer resumed(*resumed_model, data, options());
    restoreTrainer(checkpoint, resumed);
    QCOMPARE(resumed.stepsDone(), int64_t{4});
    const auto actual = losses(resumed, 4);
    QCOMPARE(actual.size(), expected.size());
    for (size_t k = 0; k < expected.size(); ++k)
      QVERIFY2(actual[k] == expected[k], qPrintable(QString("loss %1: %2 vs %3")
                                                        .arg(k)
                                                        .arg(actual[k], 0, 'g', 17)
                                                        .arg(expected[k], 0, 'g', 17)));
  }
};

QTEST_APPLESS_MAIN(TestResume)
#include "test_resume.moc"
