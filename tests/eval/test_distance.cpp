// Energy distance (Székely) between sample sets, against its definition and the closed form for
// two 1-D Gaussians.
#include "eval/distance.h"

#include <QtTest>

#include <cmath>
#include <vector>

namespace {

// Φ, the standard normal CDF.
double normalCdf(double x) { return 0.5 * std::erfc(-x / std::sqrt(2.0)); }

// E|Z| for Z ~ N(m, s²): s·sqrt(2/π)·exp(−m²/(2s²)) + m·(1 − 2Φ(−m/s)).
double meanAbsNormal(double m, double s) {
  return s * std::sqrt(2.0 / M_PI) * std::exp(-m * m / (2 * s * s)) +
         m * (1.0 - 2.0 * normalCdf(-m / s));
}

// Brute-force V-statistic 2·mean‖x_i − y_j‖ − mean‖x_i − x_k‖ − mean‖y_j − y_l‖ with all pairs,
// the same point with itself included.
double bruteForce(const torch::Tensor& x, const torch::Tensor& y) {
  const auto X = x.to(torch::kDouble).flatten(1).contiguous();
  const auto Y = y.to(torch::kDouble).flatten(1).contiguous();
  const int64_t d = X.size(1);
  const auto* px = X.data_ptr<double>();
  const auto* py = Y.data_ptr<double>();
  auto meanDist = [d](const double* a, int64_t na, const double* b, int64_t nb) {
    double total = 0;
    for (int64_t i = 0; i < na; ++i)
      for (int64_t j = 0; j < nb; ++j) {
        double s = 0;
        for (int64_t k = 0; k < d; ++k) {
          const double diff = a[i * d + k] - b[j * d + k];
          s += diff * diff;
        }
        total += std::sqrt(s);
      }
    return total / (double(na) * double(nb));
  };
  const int64_t n = X.size(0), m = Y.size(0);
  return 2 * meanDist(px, n, py, m) - meanDist(px, n, px, n) - meanDist(py, m, py, m);
}

}  // namespace

class TestDistance : public QObject {
  Q_OBJECT

 private Q_SLOTS:
  void init() { torch::manual_seed(7); }

  void sameSetIsZero_data();
  void sameSetIsZero();
  void symmetricAndNonNegative();
  void matchesDefinition_data();
  void matchesDefinition();
  void invariantUnderRigidMotion();
  void gaussianShiftMatchesClosedForm_data();
  void gaussianShiftMatchesClosedForm();
  void largerShiftLargerDistance();
};

void TestDistance::sameSetIsZero_data() {
  QTest::addColumn<QList<int>>("shape");
  QTest::newRow("points [500, 2]") << QList<int>{500, 2};
  QTest::newRow("1-D [300, 1]") << QList<int>{300, 1};
  QTest::newRow("images [40, 1, 4, 4]") << QList<int>{40, 1, 4, 4};
  QTest::newRow("single point") << QList<int>{1, 3};
}

void TestDistance::sameSetIsZero() {
  QFETCH(QList<int>, shape);
  std::vector<int64_t> sizes(shape.begin(), shape.end());
  const auto x = torch::randn(sizes) * 3.0 + 1.0;
  QCOMPARE(cdrl::energyDistance(x, x), 0.0);
  // An identical copy (a different tensor) as well.
  QCOMPARE(cdrl::energyDistance(x, x.clone()), 0.0);
}

void TestDistance::symmetricAndNonNegative() {
  const auto x = torch::randn({400, 2});
  const auto y = torch::randn({250, 2}) * 1.5 + 0.3;
  const double xy = cdrl::energyDistance(x, y);
  const double yx = cdrl::energyDistance(y, x);
  QVERIFY(xy > 0);
  QVERIFY(std::abs(xy - yx) <= 1e-12 * std::abs(xy));
  // Even for two samples of one law (V-statistic: D² ≥ 0).
  const auto x2 = torch::randn({400, 2});
  QVERIFY(cdrl::energyDistance(x, x2) >= 0);
}

void TestDistance::matchesDefinition_data() {
  QTest::addColumn<int>("n");
  QTest::addColumn<int>("m");
  QTest::addColumn<int>("dim");
  QTest::newRow("20 vs 30, 2-D") << 20 << 30 << 2;
  QTest::newRow("1 vs 7, 3-D") << 1 << 7 << 3;
  QTest::newRow("50 vs 40, 1-D") << 50 << 40 << 1;
  QTest::newRow("12 vs 12, 16-D") << 12 << 12 << 16;
}

void TestDistance::matchesDefinition() {
  QFETCH(int, n);
  QFETCH(int, m);
  QFETCH(int, dim);
  const auto x = torch::randn({n, dim});
  const auto y = torch::randn({m, dim}) * 0.7 + 0.4;
  const double expected = bruteForce(x, y);
  // cdist's matrix-product path loses ~1e-8 on near-coincident pairs; 1e-7 is far below any
  // formula error (a missing diagonal or factor changes the value by > 1e-2).
  QVERIFY2(std::abs(cdrl::energyDistance(x, y) - expected) <= 1e-7 * (1 + std::abs(expected)),
           qPrintable(QString("%1 vs %2").arg(cdrl::energyDistance(x, y)).arg(expected)));
  // Examples of any shape are flattened: [n, dim] as [n, 1, dim] or [n, dim, 1] is the same.
  QVERIFY(std::abs(cdrl::energyDistance(x.unsqueeze(1), y.unsqueeze(2).transpose(1, 2)) -
                   expected) <= 1e-7 * (1 + std::abs(expected)));
}

void TestDistance::invariantUnderRigidMotion() {
  const auto x = torch::randn({300, 2}, torch::kDouble);
  const auto y =
      torch::randn({200, 2}, torch::kDouble) + torch::tensor({1.0, -0.5}, torch::kDouble);
  const double base = cdrl::energyDistance(x, y);
  const double angle = 0.7;
  const auto R = torch::tensor(
      {{std::cos(angle), -std::sin(angle)}, {std::sin(angle), std::cos(angle)}}, torch::kDouble);
  const auto shift = torch::tensor({5.0, -3.0}, torch::kDouble);
  const double moved =
      cdrl::energyDistance(torch::matmul(x, R) + shift, torch::matmul(y, R) + shift);
  QVERIFY(std::abs(moved - base) <= 1e-6 * base);
}

void TestDistance::gaussianShiftMatchesClosedForm_data() {
  QTest::addColumn<double>("mu");
  QTest::newRow("mu=0") << 0.0;
  QTest::newRow("mu=0.25") << 0.25;
  QTest::newRow("mu=0.5") << 0.5;
  QTest::newRow("mu=1") << 1.0;
  QTest::newRow("mu=2") << 2.0;
}

void TestDistance::gaussianShiftMatchesClosedForm() {
  // X ~ N(0, 1), Y ~ N(μ, 1): X − Y ~ N(−μ, 2), X − X' ~ Y − Y' ~ N(0, 2), so
  // D² = 2·E|N(−μ, 2)| − 2·E|N(0, 2)|.
  // The code computes the V-statistic: the n diagonal pairs of each within-set mean are zero, so
  // its expectation is 2E|X−Y| − (1 − 1/n)E|X−X'| − (1 − 1/m)E|Y−Y'| = D² + (1/n + 1/m)·E|N(0,2)|.
  // Tolerance: R independent replications give the estimator's standard deviation directly; the
  // mean over them must lie within 4 standard errors (sd/√R) of that expectation.
  QFETCH(double, mu);
  const int64_t n = 1500, m = 1500;
  const int R = 12;
  const double e_within = meanAbsNormal(0.0, std::sqrt(2.0));  // = 2/√π
  QVERIFY(std::abs(e_within - 2.0 / std::sqrt(M_PI)) < 1e-15);
  const double d2 = 2.0 * meanAbsNormal(-mu, std::sqrt(2.0)) - 2.0 * e_within;
  const double expected = d2 + (1.0 / n + 1.0 / m) * e_within;

  std::vector<double> estimates;
  for (int r = 0; r < R; ++r) {
    const auto x = torch::randn({n, 1}, torch::kDouble);
    const auto y = torch::randn({m, 1}, torch::kDouble) + mu;
    estimates.push_back(cdrl::energyDistance(x, y));
  }
  double mean = 0;
  for (double e : estimates) mean += e;
  mean /= R;
  double var = 0;
  for (double e : estimates) var += (e - mean) * (e - mean);
  var /= (R - 1);
  const double se = std::sqrt(var / R);
  QVERIFY(se > 0);
  QVERIFY2(std::abs(mean - expected) < 4.0 * se,
           qPrintable(QString("mean %1, expected %2 (D² %3), SE %4")
                          .arg(mean, 0, 'g', 8)
                          .arg(expected, 0, 'g', 8)
                          .arg(d2, 0, 'g', 8)
                          .arg(se, 0, 'g', 3)));
  // For clear shifts the estimate is the population distance to a few per cent.
  if (mu >= 0.5) QVERIFY(std::abs(mean - d2) < 0.03 * d2);
}

void TestDistance::largerShiftLargerDistance() {
  const auto x = torch::randn({2000, 1}, torch::kDouble);
  const auto z = torch::randn({2000, 1}, torch::kDouble);
  double previous = -1.0;
  for (double mu : {0.0, 0.25, 0.5, 1.0, 2.0, 4.0}) {
    const double d = cdrl::energyDistance(x, z + mu);
    QVERIFY2(d > previous, qPrintable(QString("μ = %1: %2 after %3").arg(mu).arg(d).arg(previous)));
    previous = d;
  }
  // The same ordering in 2-D with the shift along a diagonal.
  const auto x2 = torch::randn({1000, 2});
  const auto z2 = torch::randn({1000, 2});
  const auto dir = torch::tensor({0.6, 0.8});
  QVERIFY(cdrl::energyDistance(x2, z2 + 0.5 * dir) < cdrl::energyDistance(x2, z2 + 1.5 * dir));
}

QTEST_APPLESS_MAIN(TestDistance)
#include "test_distance.moc"
