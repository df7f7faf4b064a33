// The per-level table of ALGORITHM.md §2 and the step variances of §4/§6/§8, each entry recomputed
// here from the closed forms (never from the code under test).
#include "cdrl/schedule.h"

#include <QtTest>

#include <cmath>
#include <limits>
#include <stdexcept>
#include <vector>

using cdrl::Schedule;
using cdrl::ScheduleOptions;
using cdrl::StepScaling;

Q_DECLARE_METATYPE(StepScaling)

namespace {

// Relative closeness for doubles computed along different but exact paths.
bool close(double actual, double expected, double rel = 1e-12, double abs = 1e-15) {
  return std::abs(actual - expected) <= abs + rel * std::abs(expected);
}

#define QVERIFY_CLOSE(actual, expected)                                            \
  QVERIFY2(close((actual), (expected)), qPrintable(QString("%1 = %2, expected %3") \
                                                       .arg(#actual)               \
                                                       .arg(actual, 0, 'g', 17)    \
                                                       .arg(expected, 0, 'g', 17)))

// The closed forms of §2 written out independently.
struct Reference {
  double a, b;
  Reference(double lambda_min, double lambda_max) {
    b = std::atan(std::exp(-lambda_max / 2.0));
    a = std::atan(std::exp(-lambda_min / 2.0)) - b;
  }
  double lambda(double u) const { return -2.0 * std::log(std::tan(a * u + b)); }
  static double sigmoid(double x) { return 1.0 / (1.0 + std::exp(-x)); }
};

ScheduleOptions optionsFromRow() {
  QFETCH(int, T);
  QFETCH(double, lambda_min);
  QFETCH(double, lambda_max);
  QFETCH(double, step_base);
  QFETCH(StepScaling, scaling);
  ScheduleOptions o;
  o.T = T;
  o.lambda_min = lambda_min;
  o.lambda_max = lambda_max;
  o.step_base = step_base;
  o.step_scaling = scaling;
  return o;
}

}  // namespace

class TestSchedule : public QObject {
  Q_OBJECT

 private Q_SLOTS:
  void defaultsAreThePaperAndReferenceValues();

  void endpoints_data();
  void endpoints();
  void lambdaMatchesClosedForm_data();
  void lambdaMatchesClosedForm();
  void levelTableMatchesClosedForms_data();
  void levelTableMatchesClosedForms();
  void stepVarianceScaling_data();
  void stepVarianceScaling();
  void tweedieStepVariance_data();
  void tweedieStepVariance();
  void levelZeroHasNoStepEntries();
  void signalDecreasesWithLevel();

  void invalidOptionsThrow_data();
  void invalidOptionsThrow();
  void levelOutOfRangeThrows();
  void stepScalingNames();

 private:
  void addRows();
};

void TestSchedule::addRows() {
  QTest::addColumn<int>("T");
  QTest::addColumn<double>("lambda_min");
  QTest::addColumn<double>("lambda_max");
  QTest::addColumn<double>("step_base");
  QTest::addColumn<StepScaling>("scaling");
  QTest::newRow("defaults T=6") << 6 << -5.1 << 9.8 << 2e-4 << StepScaling::PerLevel;
  QTest::newRow("T=6 toy constant 1e-3") << 6 << -5.1 << 9.8 << 1e-3 << StepScaling::Constant;
  QTest::newRow("T=10 [-6, 8]") << 10 << -6.0 << 8.0 << 2e-4 << StepScaling::PerLevel;
  QTest::newRow("T=3 [-2, 4] constant") << 3 << -2.0 << 4.0 << 5e-4 << StepScaling::Constant;
  QTest::newRow("T=1 [-3, 5]") << 1 << -3.0 << 5.0 << 2e-4 << StepScaling::PerLevel;
  QTest::newRow("T=2 positive range [1, 3]") << 2 << 1.0 << 3.0 << 2e-4 << StepScaling::PerLevel;
}

void TestSchedule::defaultsAreThePaperAndReferenceValues() {
  const ScheduleOptions o;
  QCOMPARE(o.T, 6);
  QCOMPARE(o.lambda_min, -5.1);
  QCOMPARE(o.lambda_max, 9.8);
  QCOMPARE(o.step_base, 2e-4);
  QVERIFY(o.step_scaling == StepScaling::PerLevel);
  QCOMPARE(o.K, 15);
  const Schedule s;
  QCOMPARE(s.T(), 6);
}

void TestSchedule::endpoints_data() { addRows(); }

void TestSchedule::endpoints() {
  const ScheduleOptions o = optionsFromRow();
  const Schedule s(o);
  // λ(0) = λ_max and λ(1) = λ_min (§2), both through lambdaAt and in the table.
  QVERIFY(close(s.lambdaAt(0.0), o.lambda_max, 1e-12, 1e-12));
  QVERIFY(close(s.lambdaAt(1.0), o.lambda_min, 1e-12, 1e-12));
  QVERIFY(close(s.level(0).lambda, o.lambda_max, 1e-12, 1e-12));
  QVERIFY(close(s.level(o.T).lambda, o.lambda_min, 1e-12, 1e-12));
  QCOMPARE(s.level(0).u, 0.0);
  QCOMPARE(s.level(o.T).u, 1.0);
}

void TestSchedule::lambdaMatchesClosedForm_data() { addRows(); }

void TestSchedule::lambdaMatchesClosedForm() {
  const ScheduleOptions o = optionsFromRow();
  const Schedule s(o);
  const Reference ref(o.lambda_min, o.lambda_max);
  for (int i = 0; i <= o.T; ++i) {
    const double u = static_cast<double>(i) / o.T;
    QCOMPARE(s.level(i).i, i);
    QVERIFY_CLOSE(s.level(i).u, u);
    QVERIFY_CLOSE(s.level(i).lambda, ref.lambda(u));
  }
  // lambdaAt for arbitrary u in [0, 1], and λ strictly decreasing in u.
  double previous = std::numeric_limits<double>::infinity();
  for (int k = 0; k <= 40; ++k) {
    const double u = k / 40.0;
    QVERIFY_CLOSE(s.lambdaAt(u), ref.lambda(u));
    QVERIFY(s.lambdaAt(u) < previous);
    previous = s.lambdaAt(u);
  }
}

void TestSchedule::levelTableMatchesClosedForms_data() { addRows(); }

void TestSchedule::levelTableMatchesClosedForms() {
  const ScheduleOptions o = optionsFromRow();
  const Schedule s(o);
  const Reference ref(o.lambda_min, o.lambda_max);
  std::vector<double> abar(o.T + 1);
  for (int i = 0; i <= o.T; ++i) abar[i] = Reference::sigmoid(ref.lambda(double(i) / o.T));

  const double beta_1 = 1.0 - abar[1] / abar[0];
  for (int i = 0; i <= o.T; ++i) QVERIFY_CLOSE(s.level(i).alpha_bar, abar[i]);
  for (int i = 1; i <= o.T; ++i) {
    const auto& L = s.level(i);
    const double r = abar[i] / abar[i - 1];
    const double beta = 1.0 - r;
    QVERIFY_CLOSE(L.r, r);
    QVERIFY_CLOSE(L.beta, beta);
    QVERIFY_CLOSE(L.beta_tilde, (1.0 - abar[i - 1]) / (1.0 - abar[i]) * beta);
    // m_i = r_i below the top, 1 at the top where the anchor is dropped.
    QCOMPARE(L.anchored, i < o.T);
    QVERIFY_CLOSE(L.m, i < o.T ? r : 1.0);
    // Loss weight w_i = sqrt(β_1 / β_i): 1 at level 1.
    QVERIFY_CLOSE(L.weight, std::sqrt(beta_1 / beta));
    // Each one-step variance is a proper variance; the posterior one is smaller.
    QVERIFY(L.beta > 0 && L.beta < 1);
    QVERIFY(L.beta_tilde > 0 && L.beta_tilde < L.beta);
  }
  QVERIFY_CLOSE(s.level(1).weight, 1.0);
  // The one-step ratios telescope to the total signal ratio.
  double product = 1.0;
  for (int i = 1; i <= o.T; ++i) product *= s.level(i).r;
  QVERIFY(close(product, abar[o.T] / abar[0], 1e-12));
}

void TestSchedule::stepVarianceScaling_data() { addRows(); }

void TestSchedule::stepVarianceScaling() {
  const ScheduleOptions o = optionsFromRow();
  const Schedule s(o);
  const Reference ref(o.lambda_min, o.lambda_max);
  const double abar0 = Reference::sigmoid(ref.lambda(0.0));
  for (int i = 1; i <= o.T; ++i) {
    const double abar_prev = Reference::sigmoid(ref.lambda(double(i - 1) / o.T));
    const double beta = 1.0 - Reference::sigmoid(ref.lambda(double(i) / o.T)) / abar_prev;
    // §4 image runs: c_i = sqrt(1 − ā_{i−1}) / sqrt(1 − ā_0); §8 toy run: 1 / sqrt(1 − ā_0).
    const double c = o.step_scaling == StepScaling::PerLevel
                         ? std::sqrt(1.0 - abar_prev) / std::sqrt(1.0 - abar0)
                         : 1.0 / std::sqrt(1.0 - abar0);
    QVERIFY_CLOSE(s.level(i).c, c);
    QVERIFY_CLOSE(s.level(i).s2, 2.0 * o.step_base * c * beta);
  }
  if (o.step_scaling == StepScaling::PerLevel) QVERIFY_CLOSE(s.level(1).c, 1.0);
}

void TestSchedule::tweedieStepVariance_data() { addRows(); }

void TestSchedule::tweedieStepVariance() {
  const ScheduleOptions o = optionsFromRow();
  const Schedule s(o);
  const Reference ref(o.lambda_min, o.lambda_max);
  const double abar0 = Reference::sigmoid(ref.lambda(0.0));
  const double abar1 = Reference::sigmoid(ref.lambda(1.0 / o.T));
  const double beta1 = 1.0 - abar1 / abar0;
  // c_1 is 1 for per-level scaling (ā_{i−1} = ā_0), 1/sqrt(1 − ā_0) for constant.
  const double c1 = o.step_scaling == StepScaling::PerLevel ? 1.0 : 1.0 / std::sqrt(1.0 - abar0);
  // §6: s'² = b·c_1·β_1, half the level-1 Langevin step variance.
  QVERIFY_CLOSE(s.tweedieStepVariance(), o.step_base * c1 * beta1);
  QVERIFY_CLOSE(s.tweedieStepVariance(), 0.5 * s.level(1).s2);
}

void TestSchedule::levelZeroHasNoStepEntries() {
  const Schedule s;
  const auto& L = s.level(0);
  QCOMPARE(L.r, 0.0);
  QCOMPARE(L.beta, 0.0);
  QCOMPARE(L.beta_tilde, 0.0);
  QCOMPARE(L.m, 0.0);
  QCOMPARE(L.c, 0.0);
  QCOMPARE(L.s2, 0.0);
  QCOMPARE(L.weight, 0.0);
  QVERIFY(!L.anchored);
}

void TestSchedule::signalDecreasesWithLevel() {
  // Level 0 almost clean, level T almost pure noise (defaults): ā_0 = sigmoid(9.8), ā_T =
  // sigmoid(−5.1).
  const Schedule s;
  QVERIFY(s.level(0).alpha_bar > 0.9999);
  QVERIFY(s.level(6).alpha_bar < 0.01);
  for (int i = 1; i <= 6; ++i) QVERIFY(s.level(i).alpha_bar < s.level(i - 1).alpha_bar);
}

void TestSchedule::invalidOptionsThrow_data() {
  QTest::addColumn<int>("T");
  QTest::addColumn<double>("lambda_min");
  QTest::addColumn<double>("lambda_max");
  QTest::addColumn<double>("step_base");
  QTest::addColumn<int>("K");
  const double nan = std::numeric_limits<double>::quiet_NaN();
  QTest::newRow("T = 0") << 0 << -5.1 << 9.8 << 2e-4 << 15;
  QTest::newRow("T < 0") << -3 << -5.1 << 9.8 << 2e-4 << 15;
  QTest::newRow("lambda_max = lambda_min") << 6 << 2.0 << 2.0 << 2e-4 << 15;
  QTest::newRow("lambda_max < lambda_min") << 6 << 9.8 << -5.1 << 2e-4 << 15;
  QTest::newRow("lambda_min NaN") << 6 << nan << 9.8 << 2e-4 << 15;
  QTest::newRow("lambda_max NaN") << 6 << -5.1 << nan << 2e-4 << 15;
  QTest::newRow("step_base = 0") << 6 << -5.1 << 9.8 << 0.0 << 15;
  QTest::newRow("step_base < 0") << 6 << -5.1 << 9.8 << -2e-4 << 15;
  QTest::newRow("step_base NaN") << 6 << -5.1 << 9.8 << nan << 15;
  QTest::newRow("K = 0") << 6 << -5.1 << 9.8 << 2e-4 << 0;
  QTest::newRow("K < 0") << 6 << -5.1 << 9.8 << 2e-4 << -1;
}

void TestSchedule::invalidOptionsThrow() {
  QFETCH(int, T);
  QFETCH(double, lambda_min);
  QFETCH(double, lambda_max);
  QFETCH(double, step_base);
  QFETCH(int, K);
  ScheduleOptions o;
  o.T = T;
  o.lambda_min = lambda_min;
  o.lambda_max = lambda_max;
  o.step_base = step_base;
  o.K = K;
  QVERIFY_THROWS_EXCEPTION(std::invalid_argument, o.validate());
  QVERIFY_THROWS_EXCEPTION(std::invalid_argument, Schedule{o});
}

void TestSchedule::levelOutOfRangeThrows() {
  const Schedule s;
  QVERIFY_THROWS_EXCEPTION(std::out_of_range, s.level(-1));
  QVERIFY_THROWS_EXCEPTION(std::out_of_range, s.level(7));
}

void TestSchedule::stepScalingNames() {
  for (StepScaling v : {StepScaling::PerLevel, StepScaling::Constant})
    QVERIFY(cdrl::stepScalingFromString(cdrl::toString(v)) == v);
  QCOMPARE(cdrl::toString(StepScaling::PerLevel), std::string("per-level"));
  QCOMPARE(cdrl::toString(StepScaling::Constant), std::string("constant"));
  QVERIFY_THROWS_EXCEPTION(std::invalid_argument, cdrl::stepScalingFromString("Constant"));
  QVERIFY_THROWS_EXCEPTION(std::invalid_argument, cdrl::stepScalingFromString(""));
}

QTEST_APPLESS_MAIN(TestSchedule)
#include "test_schedule.moc"
