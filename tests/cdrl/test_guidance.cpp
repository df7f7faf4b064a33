// Classifier-free guidance and composition (ALGORITHM.md §7): the batched GuidedEnergy and
// GuidedInitializer against the same weighted sums of separate conditional forwards.
#include "cdrl/guidance.h"
#include "cdrl/langevin.h"
#include "cdrl/model.h"
#include "cdrl/preset.h"
#include "model_support.h"
#include "test_support.h"

#include <QtTest>

#include <cmath>
#include <limits>
#include <memory>
#include <vector>

using cdrl::Condition;
using cdrl::ConditionTerm;

namespace {

constexpr int64_t kClasses = 3;
constexpr int64_t kBatch = 6;

// A weighted sum Σ_k w_k·f(label_k) written out term by term.
struct Term {
  int64_t label;
  double weight;
};

}  // namespace

class TestGuidance : public QObject {
  Q_OBJECT

 private Q_SLOTS:
  void initTestCase();

  void conditionsAreNonTrivial();
  void guidedEnergy_data();
  void guidedEnergy();
  void composedEnergy_data();
  void composedEnergy();
  void guidedWithZeroWeightIsOneTerm_data();
  void guidedWithZeroWeightIsOneTerm();
  void composedWithOneConceptIsConditioning();
  void noneIsUnconditional();
  void constructorsGiveWeightsSummingToOne();
  void guidedGradientIsCombinedGradient();
  void convNetworkSharesUnconditionedLayersExactly_data();
  void convNetworkSharesUnconditionedLayersExactly();
  void guidedInitializer_data();
  void guidedInitializer();

  void validateRejectsBadTerms_data();
  void validateRejectsBadTerms();
  void validateUnconditionalModel();

 private:
  torch::Tensor energy(int64_t label, const torch::Tensor& y);
  torch::Tensor proposal(int64_t label, const torch::Tensor& x);
  torch::Tensor combinedEnergy(const std::vector<Term>& terms, const torch::Tensor& y);
  torch::Tensor combinedProposal(const std::vector<Term>& terms, const torch::Tensor& x);

  std::unique_ptr<cdrl::Model> m_model;
  torch::Tensor m_lambda;  // [B], a different level per sample
  torch::Tensor m_y;       // [B, 2]
};

void TestGuidance::initTestCase() {
  torch::manual_seed(314);
  cdrl::ModelConfig config = cdrl::preset("toy2d").model;
  config.num_classes = kClasses;
  config.class_names = {"ring", "moon", "spiral"};
  m_model = std::make_unique<cdrl::Model>(config, torch::kCPU);
  // Non-trivial weights everywhere, the initializer's zero-initialised output layer included.
  {
    torch::NoGradGuard no_grad;
    for (auto* net : {static_cast<torch::nn::Module*>(m_model->ebm().get()),
                      static_cast<torch::nn::Module*>(m_model->initializer().get())})
      for (auto& p : net->parameters()) p.add_(0.3 * torch::randn_like(p));
  }
  cdrl::powerIterate(*m_model->ebm());
  m_model->ebm()->eval();
  m_model->initializer()->eval();
  m_lambda = torch::linspace(-4.0, 8.0, kBatch);
  m_y = torch::randn({kBatch, 2}) * 1.5;
}

torch::Tensor TestGuidance::energy(int64_t label, const torch::Tensor& y) {
  auto& ebm = *m_model->ebm();
  torch::NoGradGuard no_grad;
  return ebm.energy(y, ebm.embed(m_lambda, torch::full({kBatch}, label, torch::kLong)));
}

torch::Tensor TestGuidance::proposal(int64_t label, const torch::Tensor& x) {
  auto& init = *m_model->initializer();
  torch::NoGradGuard no_grad;
  return init.propose(x, init.embed(m_lambda, torch::full({kBatch}, label, torch::kLong)));
}

torch::Tensor TestGuidance::combinedEnergy(const std::vector<Term>& terms, const torch::Tensor& y) {
  auto sum = torch::zeros({kBatch}, torch::kDouble);
  for (const auto& t : terms) sum = sum + t.weight * energy(t.label, y).to(torch::kDouble);
  return sum;
}

torch::Tensor TestGuidance::combinedProposal(const std::vector<Term>& terms,
                                             const torch::Tensor& x) {
  auto sum = torch::zeros(x.sizes(), torch::kDouble);
  for (const auto& t : terms) sum = sum + t.weight * proposal(t.label, x).to(torch::kDouble);
  return sum;
}

namespace {

// Float forwards combined with weights up to |1 + w|: compare relative to the terms' size.
bool closeTo(const torch::Tensor& actual, const torch::Tensor& expected, double scale) {
  return torch::allclose(actual.to(torch::kDouble), expected, 1e-5, 1e-5 * scale);
}

double magnitude(const torch::Tensor& t) { return t.abs().max().item<double>(); }

}  // namespace

void TestGuidance::conditionsAreNonTrivial() {
  // The checks below only mean something if the label changes the energy and the proposal.
  const auto f0 = energy(0, m_y);
  for (int64_t c = 1; c <= kClasses; ++c) {
    QVERIFY((energy(c, m_y) - f0).abs().max().item<double>() > 1e-2 * magnitude(f0));
    QVERIFY((proposal(c, m_y) - proposal(0, m_y)).abs().max().item<double>() > 1e-3);
  }
  QVERIFY((proposal(0, m_y) - m_y).abs().max().item<double>() > 1e-3);
}

void TestGuidance::guidedEnergy_data() {
  QTest::addColumn<qint64>("label");
  QTest::addColumn<double>("w");
  QTest::newRow("c=1 w=0.5") << qint64(1) << 0.5;
  QTest::newRow("c=2 w=3") << qint64(2) << 3.0;
  QTest::newRow("c=3 w=1") << qint64(3) << 1.0;
  QTest::newRow("c=1 w=-0.4") << qint64(1) << -0.4;
  QTest::newRow("c=3 w=0.05") << qint64(3) << 0.05;
}

void TestGuidance::guidedEnergy() {
  QFETCH(qint64, label);
  QFETCH(double, w);
  const Condition condition = Condition::guided(label, w);
  QCOMPARE(int(condition.terms.size()), 2);
  // F_w(y|c) = (1 + w)·F(y|c) − w·F(y|∅), from two separate embed/energy passes.
  const auto expected = combinedEnergy({{label, 1.0 + w}, {0, -w}}, m_y);
  cdrl::GuidedEnergy guided(*m_model->ebm(), condition, m_lambda);
  torch::NoGradGuard no_grad;
  const auto actual = guided(m_y);
  QCOMPARE(actual.sizes().vec(), (std::vector<int64_t>{kBatch}));
  const double scale =
      (1 + std::abs(w)) * magnitude(energy(label, m_y)) + std::abs(w) * magnitude(energy(0, m_y));
  QVERIFY2(closeTo(actual, expected, scale),
           qPrintable(QString("max diff %1")
                          .arg((actual.to(torch::kDouble) - expected).abs().max().item<double>())));
}

void TestGuidance::composedEnergy_data() {
  QTest::addColumn<QList<qint64>>("labels");
  QTest::addColumn<QList<double>>("weights");
  QTest::newRow("{1: 0.7, 2: 1.3}") << QList<qint64>{1, 2} << QList<double>{0.7, 1.3};
  QTest::newRow("{1, 2, 3} unit weights") << QList<qint64>{1, 2, 3} << QList<double>{1, 1, 1};
  QTest::newRow("{3: 2.0, 1: 0.5}") << QList<qint64>{3, 1} << QList<double>{2.0, 0.5};
  QTest::newRow("{2: 0.3} (∅ weight 0.7)") << QList<qint64>{2} << QList<double>{0.3};
}

void TestGuidance::composedEnergy() {
  QFETCH(QList<qint64>, labels);
  QFETCH(QList<double>, weights);
  std::vector<ConditionTerm> concepts;
  std::vector<Term> expected_terms;
  double total = 0;
  for (int k = 0; k < labels.size(); ++k) {
    concepts.push_back({labels[k], weights[k]});
    expected_terms.push_back({labels[k], weights[k]});
    total += weights[k];
  }
  // Σ_k w_k F(y|c_k) − (Σ_k w_k − 1)·F(y|∅): the ∅ weight is 1 − Σ w.
  expected_terms.push_back({0, 1.0 - total});
  const Condition condition = Condition::composed(concepts);
  const auto expected = combinedEnergy(expected_terms, m_y);
  cdrl::GuidedEnergy guided(*m_model->ebm(), condition, m_lambda);
  torch::NoGradGuard no_grad;
  double scale = 0;
  for (const auto& t : expected_terms)
    scale += std::abs(t.weight) * magnitude(energy(t.label, m_y));
  QVERIFY(closeTo(guided(m_y), expected, scale));
  if (labels.size() == 3) {
    // Unit weights: Σ_k F(y|c_k) − (n − 1)·F(y|∅).
    QVERIFY(closeTo(guided(m_y), combinedEnergy({{1, 1.0}, {2, 1.0}, {3, 1.0}, {0, -2.0}}, m_y),
                    scale));
  }
}

void TestGuidance::guidedWithZeroWeightIsOneTerm_data() {
  QTest::addColumn<qint64>("label");
  QTest::newRow("c=1") << qint64(1);
  QTest::newRow("c=3") << qint64(3);
  QTest::newRow("c=∅") << qint64(0);
}

void TestGuidance::guidedWithZeroWeightIsOneTerm() {
  QFETCH(qint64, label);
  const Condition condition = Condition::guided(label, 0.0);
  QCOMPARE(int(condition.terms.size()), 1);
  QCOMPARE(condition.terms[0].label, int64_t(label));
  QCOMPARE(condition.terms[0].weight, 1.0);
  cdrl::GuidedEnergy guided(*m_model->ebm(), condition, m_lambda);
  torch::NoGradGuard no_grad;
  QVERIFY(
      torch::allclose(guided(m_y), energy(label, m_y), 1e-6, 1e-6 * magnitude(energy(label, m_y))));
}

void TestGuidance::composedWithOneConceptIsConditioning() {
  const Condition condition = Condition::composed({{2, 1.0}});
  QCOMPARE(int(condition.terms.size()), 1);
  QCOMPARE(condition.terms[0].label, int64_t(2));
  QCOMPARE(condition.terms[0].weight, 1.0);
  cdrl::GuidedEnergy guided(*m_model->ebm(), condition, m_lambda);
  cdrl::GuidedInitializer init(*m_model->initializer(), condition, m_lambda);
  torch::NoGradGuard no_grad;
  QVERIFY(torch::allclose(guided(m_y), energy(2, m_y), 1e-6, 1e-6 * magnitude(energy(2, m_y))));
  QVERIFY(torch::allclose(init(m_y), proposal(2, m_y), 1e-6, 1e-6));
}

void TestGuidance::noneIsUnconditional() {
  const Condition condition = Condition::none();
  QCOMPARE(int(condition.terms.size()), 1);
  QCOMPARE(condition.terms[0].label, int64_t(0));
  QCOMPARE(condition.terms[0].weight, 1.0);
  cdrl::GuidedEnergy guided(*m_model->ebm(), condition, m_lambda);
  torch::NoGradGuard no_grad;
  QVERIFY(torch::allclose(guided(m_y), energy(0, m_y), 1e-6, 1e-6 * magnitude(energy(0, m_y))));
  // w = −1 cancels the conditional term: (1 − 1)·F(y|c) + 1·F(y|∅).
  const Condition unguided = Condition::guided(2, -1.0);
  double sum = 0;
  for (const auto& t : unguided.terms) {
    QVERIFY(t.weight != 0.0);
    sum += t.weight;
  }
  QCOMPARE(sum, 1.0);
  cdrl::GuidedEnergy g2(*m_model->ebm(), unguided, m_lambda);
  QVERIFY(torch::allclose(g2(m_y), energy(0, m_y), 1e-6, 1e-6 * magnitude(energy(0, m_y))));
}

void TestGuidance::constructorsGiveWeightsSummingToOne() {
  std::vector<Condition> conditions = {Condition::none(),
                                       Condition::guided(1, 2.5),
                                       Condition::guided(3, -0.3),
                                       Condition::composed({{1, 0.7}, {2, 1.3}}),
                                       Condition::composed({{1, 0.2}, {3, 0.2}}),
                                       Condition::composed({{1, 1}, {2, 1}, {3, 1}})};
  for (const auto& c : conditions) {
    double sum = 0;
    for (const auto& t : c.terms) sum += t.weight;
    QVERIFY(std::abs(sum - 1.0) < 1e-12);
    c.validate(kClasses);
  }
  // The guided pair: (1 + w) on c, −w on ∅.
  const auto g = Condition::guided(1, 2.5);
  QCOMPARE(g.terms[0].label, int64_t(1));
  QCOMPARE(g.terms[0].weight, 3.5);
  QCOMPARE(g.terms[1].label, int64_t(0));
  QCOMPARE(g.terms[1].weight, -2.5);
}

void TestGuidance::guidedGradientIsCombinedGradient() {
  // What the Langevin chain uses: ∇F_w = (1 + w)∇F(y|c) − w∇F(y|∅).
  const double w = 1.5;
  cdrl::GuidedEnergy guided(*m_model->ebm(), Condition::guided(2, w), m_lambda);
  const auto [F, grad] = cdrl::energyAndGradient(std::ref(guided), m_y);
  auto& ebm = *m_model->ebm();
  auto gradOf = [&](int64_t label) {
    torch::Tensor emb;
    {
      torch::NoGradGuard no_grad;
      emb = ebm.embed(m_lambda, torch::full({kBatch}, label, torch::kLong));
    }
    auto y = m_y.clone().requires_grad_(true);
    const auto f = ebm.energy(y, emb).sum();
    return torch::autograd::grad({f}, {y})[0].to(torch::kDouble);
  };
  const auto expected = (1 + w) * gradOf(2) - w * gradOf(0);
  QVERIFY(torch::allclose(grad.to(torch::kDouble), expected, 1e-4, 1e-5 * magnitude(expected)));
  QVERIFY(closeTo(F, combinedEnergy({{2, 1 + w}, {0, -w}}, m_y),
                  (1 + w) * magnitude(energy(2, m_y)) + w * magnitude(energy(0, m_y))));
}

// The conv EBM runs its first layers once for all terms (energyStacked), and withGradient runs the
// terms in passes of at most max_rows rows: F and ∇F must still be §7's combination of separate
// passes, one per label, however the terms are split.
void TestGuidance::convNetworkSharesUnconditionedLayersExactly_data() {
  QTest::addColumn<int>("max_rows");  // −1: autograd through operator() (energyAndGradient)
  QTest::newRow("autograd, one pass") << -1;
  QTest::newRow("withGradient, one pass") << 0;
  QTest::newRow("one term per pass") << 3;
  QTest::newRow("two terms per pass") << 6;
  QTest::newRow("three terms, then one") << 9;
}

void TestGuidance::convNetworkSharesUnconditionedLayersExactly() {
  QFETCH(int, max_rows);
  torch::manual_seed(27);
  cdrl::ModelConfig config = cdrl::test::smallImageConfig();
  config.num_classes = 3;
  config.class_names = {"a", "b", "c"};
  cdrl::Model model(config, torch::kCPU);
  auto& ebm = *model.ebm();
  {
    torch::NoGradGuard no_grad;
    for (auto& p : ebm.parameters()) p.add_(0.3 * torch::randn_like(p));
  }
  cdrl::powerIterate(ebm);
  ebm.eval();
  const int64_t B = 3;  // max_rows above counts in these rows
  const auto lambda = torch::linspace(-3.0, 6.0, B);
  const auto y = torch::randn({B, 1, 28, 28});
  auto single = [&](int64_t label) {
    torch::Tensor emb;
    {
      torch::NoGradGuard no_grad;
      emb = ebm.embed(lambda, torch::full({B}, label, torch::kLong));
    }
    auto y_var = y.clone().requires_grad_(true);
    const auto f = ebm.energy(y_var, emb);
    const auto g = torch::autograd::grad({f.sum()}, {y_var})[0];
    return std::pair{f.detach().to(torch::kDouble), g.to(torch::kDouble)};
  };
  const Condition condition = Condition::composed({{1, 1.0}, {2, 0.5}, {3, 1.5}});
  auto F_expected = torch::zeros({B}, torch::kDouble);
  auto grad_expected = torch::zeros(y.sizes(), torch::kDouble);
  for (const auto& term : condition.terms) {
    const auto [f, g] = single(term.label);
    F_expected = F_expected + term.weight * f;
    grad_expected = grad_expected + term.weight * g;
  }
  QVERIFY((single(1).first - single(3).first).abs().max().item<double>() > 1e-3);  // labels matter
  QCOMPARE(condition.terms.size(), size_t{4});
  cdrl::GuidedEnergy composed(ebm, condition, lambda);
  const auto [F, grad] = max_rows < 0 ? cdrl::energyAndGradient(std::ref(composed), y)
                                      : composed.withGradient(y, max_rows);
  QVERIFY(!F.requires_grad() && !grad.requires_grad());
  QVERIFY2(torch::allclose(F.to(torch::kDouble), F_expected, 1e-5, 1e-5 * magnitude(F_expected)),
           qPrintable(QString("max diff %1")
                          .arg((F.to(torch::kDouble) - F_expected).abs().max().item<double>())));
  QVERIFY(torch::allclose(grad.to(torch::kDouble), grad_expected, 1e-4,
                          1e-5 * magnitude(grad_expected)));
}

void TestGuidance::guidedInitializer_data() {
  QTest::addColumn<QString>("kind");
  QTest::addColumn<int>("max_rows");  // terms per pass × kBatch; 0 = one pass
  QTest::newRow("guided c=1 w=2") << "guided" << 0;
  QTest::newRow("composed {1: 0.7, 2: 1.3}") << "composed" << 0;
  QTest::newRow("composed {1, 2, 3}") << "composed3" << 0;
  QTest::newRow("composed {1, 2, 3}, one term per pass") << "composed3" << int(kBatch);
  QTest::newRow("composed {1, 2, 3}, passes of 3 and 1") << "composed3" << int(3 * kBatch);
}

void TestGuidance::guidedInitializer() {
  QFETCH(QString, kind);
  QFETCH(int, max_rows);
  Condition condition;
  if (kind == "guided") condition = Condition::guided(1, 2.0);
  if (kind == "composed") condition = Condition::composed({{1, 0.7}, {2, 1.3}});
  if (kind == "composed3") condition = Condition::composed({{1, 1}, {2, 1}, {3, 1}});
  std::vector<Term> expected_terms;
  if (kind == "guided") expected_terms = {{1, 3.0}, {0, -2.0}};
  if (kind == "composed") expected_terms = {{1, 0.7}, {2, 1.3}, {0, -1.0}};
  if (kind == "composed3") expected_terms = {{1, 1}, {2, 1}, {3, 1}, {0, -2.0}};
  torch::manual_seed(11);  // the input does not depend on which tests ran before
  const auto x = torch::randn({kBatch, 2});
  const auto expected = combinedProposal(expected_terms, x);
  cdrl::GuidedInitializer init(*m_model->initializer(), condition, m_lambda);
  torch::NoGradGuard no_grad;
  const auto actual = init(x, max_rows);
  QCOMPARE(actual.sizes(), x.sizes());
  // Float proposals combined with weights up to 3: compare relative to the terms' size, as the
  // energy tests do.
  double scale = 0;
  for (const auto& t : expected_terms)
    scale += std::abs(t.weight) * magnitude(proposal(t.label, x));
  QVERIFY2(closeTo(actual, expected, scale),
           qPrintable(QString("max diff %1")
                          .arg((actual.to(torch::kDouble) - expected).abs().max().item<double>())));
}

void TestGuidance::validateRejectsBadTerms_data() {
  QTest::addColumn<qint64>("label");
  QTest::addColumn<double>("weight");
  QTest::addColumn<bool>("valid");
  const double inf = std::numeric_limits<double>::infinity();
  const double nan = std::numeric_limits<double>::quiet_NaN();
  QTest::newRow("∅") << qint64(0) << 1.0 << true;
  QTest::newRow("largest label C") << qint64(kClasses) << -2.0 << true;
  QTest::newRow("label C + 1") << qint64(kClasses + 1) << 1.0 << false;
  QTest::newRow("label -1") << qint64(-1) << 1.0 << false;
  QTest::newRow("huge finite weight") << qint64(1) << 1e300 << true;
  QTest::newRow("NaN weight") << qint64(1) << nan << false;
  QTest::newRow("+inf weight") << qint64(2) << inf << false;
  QTest::newRow("-inf weight on ∅") << qint64(0) << -inf << false;
}

void TestGuidance::validateRejectsBadTerms() {
  QFETCH(qint64, label);
  QFETCH(double, weight);
  QFETCH(bool, valid);
  // The bad term is second, after a good one, so the whole list is checked.
  Condition condition;
  condition.terms = {{1, 1.0}, {label, weight}};
  if (valid)
    condition.validate(kClasses);
  else
    QVERIFY_THROWS_EXCEPTION(std::invalid_argument, condition.validate(kClasses));
  // Through the constructors too.
  if (!std::isfinite(weight))
    QVERIFY_THROWS_EXCEPTION(std::invalid_argument,
                             Condition::guided(1, weight).validate(kClasses));
  if (label < 0 || label > kClasses)
    QVERIFY_THROWS_EXCEPTION(std::invalid_argument,
                             Condition::guided(label, 1.0).validate(kClasses));
}

void TestGuidance::validateUnconditionalModel() {
  Condition::none().validate(0);
  Condition::guided(0, 2.0).validate(0);
  QVERIFY_THROWS_EXCEPTION(std::invalid_argument, Condition::guided(1, 0.0).validate(0));
  QVERIFY_THROWS_EXCEPTION(std::invalid_argument, Condition{}.validate(kClasses));
}

QTEST_APPLESS_MAIN(TestGuidance)
#include "test_guidance.moc"
