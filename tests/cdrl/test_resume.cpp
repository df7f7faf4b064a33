// Resuming from a checkpoint reproduces the uninterrupted run's next losses exactly; a run that
// is stopped saves where it stopped and resumes with its own options.
#include "cdrl/model_checkpoint.h"
#include "cdrl/training_run.h"
#include "data/toy_data.h"
#include "model_support.h"
#include "test_support.h"

#include <QtTest>

#include <fstream>

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

  void stoppedRunResumesWithItsOptions() {
    TrainRequest request;
    request.preset = "toy2d";
    request.data = "toy:8gaussians:2000";
    request.out = test::tempDir("stopped_run");
    request.overrides.steps = 20;
    request.overrides.batch = 32;
    request.overrides.log_every = 5;
    request.overrides.checkpoint_every = 100;
    std::atomic<bool> stop{false};
    {
      TrainingSetup setup = prepareTraining(request);
      const RunEnd end = runTraining(setup, stop, [&](const StepStats& s) {
        if (s.step == 7) stop = true;
      });
      QVERIFY(end == RunEnd::Stopped);
      QCOMPARE(setup.trainer->stepsDone(), int64_t{7});
    }
    const Checkpoint saved = readCheckpoint(request.out + "/checkpoint.safetensors");
    QCOMPARE(saved.step, int64_t{7});
    QVERIFY(saved.training.has_value());
    QCOMPARE(saved.training->batch, int64_t{32});

    TrainRequest resume;
    resume.resume = saved.path;
    resume.out = request.out;
    stop = false;
    std::string metrics_path;
    {
      TrainingSetup setup = prepareTraining(resume);
      QCOMPARE(setup.options.batch, int64_t{32});
      QCOMPARE(setup.options.steps, int64_t{20});
      // While a run holds the folder, a second one is refused.
      const std::string busy = test::errorOf([&] { prepareTraining(resume); });
      QVERIFY2(test::contains(busy, "another training run"), busy.c_str());
      QVERIFY(runTraining(setup, stop) == RunEnd::Finished);
      QCOMPARE(setup.trainer->stepsDone(), int64_t{20});
      metrics_path = setup.metrics_path;
    }
    // Lines at step 5 (first part), the restart marker at the checkpoint's step, then 10, 15, 20.
    std::ifstream metrics(metrics_path);
    std::vector<std::string> lines;
    for (std::string line; std::getline(metrics, line);) lines.push_back(line);
    QCOMPARE(lines.size(), size_t{5});
    QVERIFY2(lines[1].find("\"restart\":") != std::string::npos, lines[1].c_str());
    const std::string error = test::errorOf([&] { prepareTraining(resume); });
    QVERIFY2(test::contains(error, "nothing to do"), error.c_str());
  }
};

QTEST_APPLESS_MAIN(TestResume)
#include "test_resume.moc"
