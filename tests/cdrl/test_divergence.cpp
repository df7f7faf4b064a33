// A non-finite loss stops training with a clear error before any weight changes.
#include "cdrl/trainer.h"
#include "data/toy_data.h"
#include "model_support.h"
#include "test_support.h"

#include <QtTest>

using namespace cdrl;

class TestDivergence : public QObject {
  Q_OBJECT

 private Q_SLOTS:
  void nonFiniteDataStopsTrainingWithWeightsIntact() {
    Dataset data = makeToyDataset(ToyShape::TwoMoons, 256, 0);
    data.data[0][0] = std::numeric_limits<float>::quiet_NaN();
    data.data = data.data.index_select(0, torch::zeros({256}, torch::kLong));  // every row is NaN
    torch::manual_seed(0);
    Model model(test::smallToyConfig(), torch::kCPU);
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
      QVERIFY2(std::string(e.what()).find("not finite") != std::string::npos, e.what());
    }
    QCOMPARE(trainer.stepsDone(), int64_t{0});
    const auto after = model.ebm()->parameters();
    for (size_t k = 0; k < before.size(); ++k) QVERIFY(torch::equal(before[k], after[k]));
  }
};

QTEST_APPLESS_MAIN(TestDivergence)
#include "test_divergence.moc"
