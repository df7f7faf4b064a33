// The sampler (Algorithm 2): its per-level trace, reproducibility and prompt cancellation.
#include "sampler.h"
#include "test_support.h"

#include <QtTest>

using namespace cdrl;

namespace {

// Wraps an EBM, counts energy evaluations and raises a flag at evaluation `trip`.
class TrippingEnergy : public EnergyNetImpl {
 public:
  TrippingEnergy(EnergyNet inner, std::atomic<bool>* flag, int trip)
      : m_inner(std::move(inner)), m_flag(flag), m_trip(trip) {}
  torch::Tensor embed(const torch::Tensor& lambda, const torch::Tensor& label) override {
    return m_inner->embed(lambda, label);
  }
  torch::Tensor energy(const torch::Tensor& y, const torch::Tensor& emb) override {
    if (++calls == m_trip) m_flag->store(true);
    return m_inner->energy(y, emb);
  }
  int calls = 0;

 private:
  EnergyNet m_inner;
  std::atomic<bool>* m_flag;
  int m_trip;
};

}  // namespace

class TestSampler : public QObject {
  Q_OBJECT

 private Q_SLOTS:
  void traceHasEveryLevelInOrder_data() {
    QTest::addColumn<bool>("image");
    QTest::newRow("points") << false;
    QTest::newRow("images") << true;
  }
  void traceHasEveryLevelInOrder() {
    QFETCH(bool, image);
    torch::manual_seed(0);
    Model model(image ? test::smallImageConfig() : test::smallToyConfig(), torch::kCPU);
    SampleOptions options;
    options.count = 3;
    options.steps = 4;
    options.keep_steps = true;
    options.run_id = 42;
    std::vector<LevelTrace> traces;
    const auto result = sample(model, options, [&](const LevelTrace& t) { traces.push_back(t); });
    const int T = model.schedule().T();
    QCOMPARE(static_cast<int>(traces.size()), T);
    std::vector<int64_t> shape = {3};
    for (auto d : model.config().data_shape) shape.push_back(d);
    for (int k = 0; k < T; ++k) {
      const LevelTrace& t = traces[k];
      QCOMPARE(t.level, T - k);
      QCOMPARE(t.levels, T);
      QCOMPARE(t.run_id, int64_t{42});
      for (const auto* tensor : {&t.x_i, &t.y_hat, &t.y_tilde, &t.x_prev}) {
        QVERIFY(tensor->sizes().vec() == shape);
        QVERIFY(tensor->device().is_cpu());
      }
      QCOMPARE(static_cast<int>(t.steps.size()), 4);
      QCOMPARE(static_cast<int>(t.step_energy.size()), 4);
      QVERIFY(torch::equal(t.steps.back(), t.y_tilde));
      // x_{i−1} = ỹ / sqrt(m_i), and each level starts from the previous level's output.
      QVERIFY(torch::allclose(t.x_prev, t.y_tilde / std::sqrt(model.schedule().level(t.level).m)));
      if (k > 0) QVERIFY(torch::equal(t.x_i, traces[k - 1].x_prev));
      // The refinement moved the proposal.
      QVERIFY(!torch::equal(t.y_hat, t.y_tilde));
    }
    QVERIFY(!result.cancelled);
    QCOMPARE(result.levels_done, T);
    QVERIFY(result.samples.sizes().vec() == shape);
  }

  void sameSeedSameSamples() {
    torch::manual_seed(1);
    Model model(test::smallToyConfig(), torch::kCPU);
    SampleOptions options;
    options.count = 16;
    options.steps = 3;
    options.seed = 7;
    const auto a = sample(model, options).samples;
    const auto b = sample(model, options).samples;
    QVERIFY(torch::equal(a, b));
    options.seed = 8;
    QVERIFY(!torch::equal(a, sample(model, options).samples));
  }

  void proposalIsTheInputAtInitialisationWithoutNoise() {
    torch::manual_seed(1);
    Model model(test::smallToyConfig(), torch::kCPU);
    SampleOptions options;
    options.count = 4;
    options.steps = 2;
    options.noise = false;
    std::vector<LevelTrace> traces;
    sample(model, options, [&](const LevelTrace& t) { traces.push_back(t); });
    // The proposal is exactly the initializer's output: at initialisation g(x) = x.
    QVERIFY(torch::equal(traces.front().y_hat, traces.front().x_i));
  }

  void cancellationStopsWithinOneLangevinStep() {
    torch::manual_seed(2);
    Model model(test::smallToyConfig(), torch::kCPU);
    std::atomic<bool> cancel{false};
    const int trip = 20;  // inside the second level's chain (each level: K' steps + 1 report)
    auto tripping = std::make_shared<TrippingEnergy>(model.ebmEma(), &cancel, trip);
    model.ebmEma() = tripping;
    SampleOptions options;
    options.count = 4;
    options.steps = 15;
    int reported = 0;
    const auto result = sample(
        model, options, [&](const LevelTrace&) { ++reported; }, &cancel);
    QVERIFY(result.cancelled);
    QCOMPARE(result.levels_done, 1);
    QCOMPARE(reported, 1);
    // No energy evaluation after the one during which the flag was raised.
    QCOMPARE(tripping->calls, trip);
  }

  void guidanceZeroAndSingleConceptEqualPlainConditioning() {
    torch::manual_seed(4);
    Model model(test::smallToyConfig(3), torch::kCPU);
    {
      // Class-conditional nets start label-blind only by chance; make the label matter.
      torch::NoGradGuard no_grad;
      for (auto& p : model.ebmEma()->parameters()) p.add_(0.05 * torch::randn_like(p));
      for (auto& p : model.initializerEma()->parameters()) p.add_(0.05 * torch::randn_like(p));
    }
    SampleOptions options;
    options.count = 8;
    options.steps = 3;
    options.seed = 21;
    options.condition = Condition{{{2, 1.0}}};  // plain conditioning on label 2
    const auto plain = sample(model, options).samples;
    options.condition = Condition::guided(2, 0.0);
    QVERIFY(torch::equal(sample(model, options).samples, plain));
    options.condition = Condition::composed({{2, 1.0}});
    QVERIFY(torch::equal(sample(model, options).samples, plain));
    options.condition = Condition::guided(2, 2.0);  // a real weight changes the samples
    QVERIFY(!torch::equal(sample(model, options).samples, plain));
  }

  void rejectsBadOptions() {
    Model model(test::smallToyConfig(), torch::kCPU);
    SampleOptions options;
    options.count = 0;
    QVERIFY_THROWS_EXCEPTION(std::invalid_argument, sample(model, options));
    options.count = 2;
    options.condition = Condition::guided(1, 1.0);  // the model is unconditional
    QVERIFY_THROWS_EXCEPTION(std::invalid_argument, sample(model, options));
  }
};

QTEST_APPLESS_MAIN(TestSampler)
#include "test_sampler.moc"
