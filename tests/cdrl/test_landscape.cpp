// The energy landscape of a 2-D model: grid layout, the §7 combination and the gradient.
#include "cdrl/landscape.h"
#include "model_support.h"
#include "test_support.h"

#include <QtTest>

using namespace cdrl;

namespace {

// F(y; λ_{i−1}, label) straight from the network, one point at a time (no stacking, no guidance
// machinery): the quantity the grid must hold.
double directEnergy(Model& model, int i, int64_t label, double x, double y) {
  torch::NoGradGuard no_grad;
  auto& ebm = *model.ebmEma();
  ebm.eval();
  const auto lambda = torch::full({1}, model.schedule().level(i - 1).lambda);
  const auto emb = ebm.embed(lambda, torch::full({1}, label, torch::kLong));
  return ebm.energy(torch::tensor({{x, y}}, torch::kFloat), emb).item<double>();
}

double node(const Landscape& l, int k) {
  return -l.extent + k * 2.0 * l.extent / (l.resolution - 1);
}

}  // namespace

class TestLandscape : public QObject {
  Q_OBJECT

 private Q_SLOTS:
  void gridHoldsEachLevelsEnergyRowsAlongY() {
    torch::manual_seed(3);
    Model model(test::smallToyConfig(), torch::kCPU);
    LandscapeOptions options;
    options.resolution = 7;
    options.extent = 1.5;
    const Landscape l = energyLandscape(model, options);
    const int T = model.schedule().T();
    QCOMPARE(static_cast<int>(l.levels.size()), T);
    for (int i = 1; i <= T; ++i) {
      const LandscapeLevel& level = l.levels[i - 1];
      QCOMPARE(level.level, i);
      QCOMPARE(static_cast<int>(level.energy.size()), 49);
      // Off-diagonal nodes tell rows (y) from columns (x).
      for (auto [r, c] : {std::pair{0, 6}, {6, 0}, {2, 5}, {3, 3}}) {
        const double want = directEnergy(model, i, 0, node(l, c), node(l, r));
        QVERIFY2(std::abs(level.energy[r * 7 + c] - want) <= 1e-5 * (1 + std::abs(want)),
                 qPrintable(QString("level %1 node (%2, %3): %4 vs %5")
                                .arg(i)
                                .arg(r)
                                .arg(c)
                                .arg(level.energy[r * 7 + c])
                                .arg(want)));
      }
    }
  }

  void guidedGridIsTheSection7Combination() {
    torch::manual_seed(4);
    Model model(test::smallToyConfig(3), torch::kCPU);
    LandscapeOptions options;
    options.resolution = 5;
    options.condition = Condition::guided(2, 1.5);
    const Landscape l = energyLandscape(model, options);
    for (int i : {1, model.schedule().T()})
      for (int k : {3, 17, 21}) {
        const double x = node(l, k % 5), y = node(l, k / 5);
        // (1 + w)·F(y|c) − w·F(y|∅)
        const double want =
            2.5 * directEnergy(model, i, 2, x, y) - 1.5 * directEnergy(model, i, 0, x, y);
        QVERIFY(std::abs(l.levels[i - 1].energy[k] - want) <= 1e-4 * (1 + std::abs(want)));
      }
  }

  void gradientMatchesCentralDifferences() {
    torch::manual_seed(5);
    Model model(test::smallToyConfig(), torch::kCPU);
    LandscapeOptions options;
    options.resolution = 6;
    const Landscape l = energyLandscape(model, options);
    const double h = 1e-2;
    for (int i : {1, 3, model.schedule().T()})
      for (int k = 0; k < 36; k += 5) {
        const double x = node(l, k % 6), y = node(l, k / 6);
        const double gx =
            (directEnergy(model, i, 0, x + h, y) - directEnergy(model, i, 0, x - h, y)) / (2 * h);
        const double gy =
            (directEnergy(model, i, 0, x, y + h) - directEnergy(model, i, 0, x, y - h)) / (2 * h);
        const LandscapeLevel& level = l.levels[i - 1];
        QVERIFY2(std::abs(level.grad_x[k] - gx) <= 2e-3 + 1e-2 * std::abs(gx),
                 qPrintable(QString("∂F/∂x %1 vs %2").arg(level.grad_x[k]).arg(gx)));
        QVERIFY2(std::abs(level.grad_y[k] - gy) <= 2e-3 + 1e-2 * std::abs(gy),
                 qPrintable(QString("∂F/∂y %1 vs %2").arg(level.grad_y[k]).arg(gy)));
      }
  }

  void rejectsImageModelsAndBadOptions() {
    Model image(test::smallImageConfig(), torch::kCPU);
    QVERIFY(test::contains(test::errorOf([&] { energyLandscape(image, {}); }), "2-D model"));
    Model toy(test::smallToyConfig(), torch::kCPU);
    LandscapeOptions options;
    options.resolution = 1;
    QVERIFY(test::contains(test::errorOf([&] { energyLandscape(toy, options); }), "resolution"));
    options = {};
    options.extent = 0;
    QVERIFY(test::contains(test::errorOf([&] { energyLandscape(toy, options); }), "extent"));
  }

  void cancelStopsBetweenLevels() {
    Model model(test::smallToyConfig(), torch::kCPU);
    std::atomic<bool> cancel{true};
    QVERIFY(energyLandscape(model, {}, &cancel).levels.empty());
  }
};

QTEST_APPLESS_MAIN(TestLandscape)
#include "test_landscape.moc"
