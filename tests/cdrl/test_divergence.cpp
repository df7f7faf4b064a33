// A non-finite loss, or chains that run away, stop training with a clear error before any
// weight changes.
#include "cdrl/trainer.h"
#include "data/toy_data.h"
#include "model_support.h"
#include "test_support.h"

#include <QtTest>

using namespace cdrl;

namespace {

// The first step of a run of `config` on `data` must throw DivergedError naming step 1 and
// `reason`, and leave the step count and the EBM's weights as they were.
void expectFirstStepDiverges(const ModelConfig& config, const Dataset& data,
                             const std::string& reason) {
  torch::manual_seed(0);
  Model model(config, torch::kCPU);
  std::vector<torch::Tensor> before;
  for (auto& p : model.ebm()->parameters()) before.push_back(p.detach().clone());
  TrainOptions options;
  options.batch = 16;
  Trainer trainer(model, data, options);
  try {
    trainer.step();
    QFAIL("no error");
  } catch (const DivergedError& e) {
    QVERIFY2(std::string(e.what()).find("training diverged at step 1") != std::string::npos,
             e.what());
    QVERIFY2(std::string(e.what()).find(reason) != std::string::npos, e.what());
  }
  QCOMPARE(trainer.stepsDone(), int64_t{0});
  const auto after = model.ebm()->parameters();
  for (size_t k = 0; k < before.size(); ++k) QVERIFY(torch::equal(before[k], after[k]));
}

}  // namespace

class TestDivergence : public QObject {
  Q_OBJECT

 private Q_SLOTS:
  void nonFiniteDataStopsTrainingWithWeightsIntact() {
    Dataset data = makeToyDataset(ToyShape::TwoMoons, 256, 0);
    data.data[0][0] = std::numeric_limits<float>::quiet_NaN();
    data.data = data.data.index_select(0, torch::zeros({256}, torch::kLong));  // every row is NaN
    expectFirstStepDiverges(test::smallToyConfig(), data, "not finite");
  }

  // Finite but runaway chains are a divergence too: at 100× the default Langevin step variance
  // the upper levels' anchor term s²/(2β) exceeds 1, so every step multiplies y − x_i (ỹ reaches
  // an RMS of about 1e15). The same data with the default steps trains on.
  void runawaySamplesStopTrainingWithWeightsIntact() {
    const Dataset data = makeToyDataset(ToyShape::TwoMoons, 256, 0);
    TrainOptions options;
    options.batch = 16;
    torch::manual_seed(0);
    Model healthy(test::smallToyConfig(), torch::kCPU);
    Trainer healthy_trainer(healthy, data, options);
    for (int k = 0; k < 20; ++k) healthy_trainer.step();

    ModelConfig config = test::smallToyConfig();
    config.schedule.step_base *= 100;
    expectFirstStepDiverges(config, data, "ran away");
  }
};

QTEST_APPLESS_MAIN(TestDivergence)
#include "test_divergence.moc"
