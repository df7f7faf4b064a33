// A non-finite loss, or chains that run away, stop training with a clear error before any
// weight changes; the EBM's gradient norm warns of a runaway before the chains blow up.
#include "cdrl/runaway_watch.h"
#include "cdrl/trainer.h"
#include "data/toy_data.h"
#include "model_support.h"
#include "test_support.h"

#include <QtTest>

#include <cmath>
#include <random>

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

// A small toy run on two moons, batch 16, seeded: the healthy baseline of these tests.
struct ToyRun {
  Dataset data = makeToyDataset(ToyShape::TwoMoons, 256, 0);
  TrainOptions options = [] {
    TrainOptions o;
    o.batch = 16;
    return o;
  }();
  Model model{(torch::manual_seed(0), test::smallToyConfig()), torch::kCPU};
  Trainer trainer{model, data, options};
};

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
    ToyRun healthy;
    for (int k = 0; k < 20; ++k) healthy.trainer.step();

    ModelConfig config = test::smallToyConfig();
    config.schedule.step_base *= 100;
    expectFirstStepDiverges(config, healthy.data, "ran away");
  }

  // Healthy runs: log-normal step-to-step noise around 4 (σ 0.5 in the log, wider than any run
  // logged here) and a 3× lasting rise such as a learning-rate change never raise an alarm.
  void runawayWatchIgnoresHealthyNoise() {
    RunawayWatch watch;
    std::mt19937 gen(7);
    std::lognormal_distribution<double> noise(std::log(4.0), 0.5);
    for (int k = 0; k < 5000; ++k)
      QVERIFY2(!watch.add(noise(gen) * (k < 2500 ? 1.0 : 3.0)), qPrintable(QString::number(k)));
  }

  // A lone spike, even 1000× and four in a row, moves neither median.
  void runawayWatchIgnoresSpikes() {
    RunawayWatch watch;
    for (int k = 0; k < 3000; ++k) {
      const bool spike = k % 50 == 0 || (k >= 1000 && k < 1004);
      QVERIFY(!watch.add(spike ? 4000.0 : 4.0));
    }
  }

  // Steady 4, then ×1.05 per step from step 600. The recent median of 10 steps is the upper one,
  // v(k − 4); the usual median stays 4 while fewer than half of the 500 before are grown. So the
  // first alarm is at the smallest k with 4·1.05^(k − 4 − 600) > 30·4.
  void runawayWatchStopsGeometricGrowth() {
    const RunawayWatchOptions options;
    const double growth = 1.05, usual = 4.0;
    const int64_t onset = 600;
    const auto expected =
        onset + options.recent / 2 - 1 +
        static_cast<int64_t>(std::floor(std::log(options.ratio) / std::log(growth))) + 1;
    RunawayWatch watch(options);
    auto value = [&](int64_t k) { return k < onset ? usual : usual * std::pow(growth, k - onset); };
    for (int64_t k = 0; k < expected; ++k)
      QVERIFY2(!watch.add(value(k)), qPrintable(QString::number(k)));
    const auto alarm = watch.add(value(expected));
    QVERIFY(alarm);
    QCOMPARE(alarm->baseline_median, usual);
    QCOMPARE(alarm->recent_median, value(expected - options.recent / 2 + 1));
    QVERIFY(alarm->recent_median > options.ratio * usual);
  }

  // Nothing is judged on fewer than min_baseline steps of usual level: growth from the first
  // step raises its first alarm only once min_baseline + recent norms are held.
  void runawayWatchWaitsForABaseline() {
    const RunawayWatchOptions options;
    RunawayWatch watch(options);
    int64_t first = -1;
    for (int64_t k = 0; k < 400 && first < 0; ++k)
      if (watch.add(std::pow(1.2, static_cast<double>(k)))) first = k;
    QCOMPARE(first, options.min_baseline + options.recent - 1);
  }

  // A watch restored from another's history alarms at the same step as the one never
  // interrupted; a fresh watch started at that point judges against a baseline of already grown
  // norms and alarms only much later.
  void runawayWatchResumesFromItsHistory() {
    const RunawayWatchOptions options;
    const int64_t onset = 600, resume = 650;
    auto value = [&](int64_t k) { return k < onset ? 4.0 : 4.0 * std::pow(1.05, k - onset); };
    RunawayWatch whole(options), restored(options), fresh(options);
    for (int64_t k = 0; k < resume; ++k) QVERIFY(!whole.add(value(k)));
    restored.restore(whole.history());
    QCOMPARE(static_cast<int64_t>(restored.history().size()), options.baseline + options.recent);
    int64_t first_whole = -1, first_restored = -1, first_fresh = -1;
    for (int64_t k = resume; k < 1000; ++k) {
      if (whole.add(value(k)) && first_whole < 0) first_whole = k;
      if (restored.add(value(k)) && first_restored < 0) first_restored = k;
      if (fresh.add(value(k)) && first_fresh < 0) first_fresh = k;
    }
    QVERIFY(first_whole > resume);
    QCOMPARE(first_restored, first_whole);
    QVERIFY2(first_fresh > first_whole + options.min_baseline,
             qPrintable(QString("fresh %1, whole %2").arg(first_fresh).arg(first_whole)));
  }

  void runawayWatchRejectsABadHistory() {
    RunawayWatch watch;
    QVERIFY_THROWS_EXCEPTION(std::invalid_argument,
                             watch.restore({1.0, std::numeric_limits<double>::quiet_NaN()}));
    QVERIFY_THROWS_EXCEPTION(std::invalid_argument, watch.restore({-1.0}));
  }

  // The trainer's state holds the EBM gradient norms of its steps, and a trainer loaded from it
  // holds the same ones.
  void trainerStateCarriesTheNormHistory() {
    ToyRun run;
    std::vector<double> norms;
    for (int k = 0; k < 5; ++k) norms.push_back(run.trainer.step().grad_norm_ebm);
    const auto state = run.trainer.stateTensors();
    const auto saved = state.at("trainer/grad_norm_ebm_history");
    QVERIFY(torch::equal(saved, torch::tensor(norms, torch::kDouble)));

    Trainer resumed(run.model, run.data, run.options);
    resumed.loadStateTensors(state);
    QVERIFY(torch::equal(resumed.stateTensors().at("trainer/grad_norm_ebm_history"), saved));
    auto bad = state;
    bad["trainer/grad_norm_ebm_history"] = torch::tensor({1.0, -2.0}, torch::kDouble);
    try {
      resumed.loadStateTensors(bad);
      QFAIL("no error");
    } catch (const std::runtime_error& e) {
      QVERIFY2(std::string(e.what()).find("grad_norm_ebm_history") != std::string::npos, e.what());
    }
  }
};

QTEST_APPLESS_MAIN(TestDivergence)
#include "test_divergence.moc"
