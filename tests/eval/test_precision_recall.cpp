// Improved precision and recall (Kynkäänniemi et al. 2019) and coverage (Naeem et al. 2020) against
// a brute-force reading of the definitions and the cases whose answer is known exactly.
#include "eval/precision_recall.h"

#include <QtTest>

#include <algorithm>
#include <cmath>
#include <vector>

namespace {

using Points = std::vector<std::vector<double>>;

Points toPoints(const torch::Tensor& x) {
  const auto X = x.to(torch::kDouble).flatten(1).contiguous();
  Points out(static_cast<size_t>(X.size(0)));
  for (int64_t i = 0; i < X.size(0); ++i)
    for (int64_t j = 0; j < X.size(1); ++j) out[i].push_back(X[i][j].item<double>());
  return out;
}

double dist(const std::vector<double>& a, const std::vector<double>& b) {
  double s = 0;
  for (size_t i = 0; i < a.size(); ++i) s += (a[i] - b[i]) * (a[i] - b[i]);
  return std::sqrt(s);
}

// Each point's distance to its k-th nearest neighbour in the same set, by sorting all distances.
std::vector<double> bruteRadii(const Points& set, size_t k) {
  std::vector<double> radius;
  for (const auto& p : set) {
    std::vector<double> d;
    for (const auto& q : set) d.push_back(dist(p, q));
    std::sort(d.begin(), d.end());
    radius.push_back(d[k]);  // d[0] is the point itself
  }
  return radius;
}

// Share of `queries` within k-NN distance of some point of `support`, looping over every pair.
double bruteShare(const Points& queries, const Points& support, size_t k) {
  const auto radius = bruteRadii(support, k);
  int inside = 0;
  for (const auto& q : queries) {
    bool in = false;
    for (size_t j = 0; j < support.size() && !in; ++j) in = dist(q, support[j]) <= radius[j];
    inside += in;
  }
  return static_cast<double>(inside) / static_cast<double>(queries.size());
}

// Share of `real` points whose k-NN ball (among `real`) holds some generated point.
double bruteCoverage(const Points& real, const Points& generated, size_t k) {
  const auto radius = bruteRadii(real, k);
  int hit = 0;
  for (size_t i = 0; i < real.size(); ++i) {
    bool any = false;
    for (size_t j = 0; j < generated.size() && !any; ++j)
      any = dist(real[i], generated[j]) <= radius[i];
    hit += any;
  }
  return static_cast<double>(hit) / static_cast<double>(real.size());
}

}  // namespace

class TestPrecisionRecall : public QObject {
  Q_OBJECT

 private Q_SLOTS:
  void init() { torch::manual_seed(11); }

  void matchesDefinition_data();
  void matchesDefinition();
  void identicalSetsAreFullyPreciseAndRecalled();
  void distantSetsScoreZero();
  void outliersCostPrecisionOnly();
  void collapseOntoTheModeCostsRecallOnly();
  void farOutliersInflateRecallButNotCoverage();
  void rejectsTooFewPointsAndMismatchedSizes();
};

void TestPrecisionRecall::matchesDefinition_data() {
  QTest::addColumn<int>("n");
  QTest::addColumn<int>("m");
  QTest::addColumn<int>("dim");
  QTest::addColumn<int>("k");
  QTest::newRow("40 vs 60, 2-D, k 3") << 40 << 60 << 2 << 3;
  QTest::newRow("25 vs 25, 2-D, k 1") << 25 << 25 << 2 << 1;
  QTest::newRow("30 vs 20, 5-D, k 5") << 30 << 20 << 5 << 5;
  QTest::newRow("1 200 vs 1 100, 2-D, k 3 (more than one block)") << 1200 << 1100 << 2 << 3;
}

void TestPrecisionRecall::matchesDefinition() {
  QFETCH(int, n);
  QFETCH(int, m);
  QFETCH(int, dim);
  QFETCH(int, k);
  const auto real = torch::randn({n, dim}, torch::kDouble);
  const auto generated = torch::randn({m, dim}, torch::kDouble) * 1.4 + 0.5;
  const auto got = cdrl::precisionRecall(real, generated, k);
  const auto R = toPoints(real), G = toPoints(generated);
  QCOMPARE(got.precision, bruteShare(G, R, static_cast<size_t>(k)));
  QCOMPARE(got.recall, bruteShare(R, G, static_cast<size_t>(k)));
  QCOMPARE(got.coverage, bruteCoverage(R, G, static_cast<size_t>(k)));
  // In 2-D neither figure is trivially 0 or 1 for these overlapping, shifted sets (in 5-D, 20
  // points' 5-NN balls are wide enough to cover all 30 real points).
  if (dim == 2) {
    QVERIFY(got.precision > 0 && got.precision < 1);
    QVERIFY(got.recall > 0 && got.recall < 1);
  }
}

void TestPrecisionRecall::identicalSetsAreFullyPreciseAndRecalled() {
  const auto x = torch::randn({500, 2});
  const auto got = cdrl::precisionRecall(x, x.clone());
  QCOMPARE(got.precision, 1.0);
  QCOMPARE(got.recall, 1.0);
  QCOMPARE(got.coverage, 1.0);
  // Examples of any shape are flattened.
  const auto images = torch::rand({50, 1, 3, 3});
  QCOMPARE(cdrl::precisionRecall(images, images.clone()).precision, 1.0);
}

void TestPrecisionRecall::distantSetsScoreZero() {
  const auto got = cdrl::precisionRecall(torch::randn({400, 2}), torch::randn({300, 2}) + 100.0);
  QCOMPARE(got.precision, 0.0);
  QCOMPARE(got.recall, 0.0);
  QCOMPARE(got.coverage, 0.0);
}

void TestPrecisionRecall::outliersCostPrecisionOnly() {
  // Every real point reproduced, plus 100 points in a far cluster: precision 400 / 500 exactly,
  // and every real point is a sample's own copy, so recall stays 1.
  const auto real = torch::randn({400, 2});
  const auto generated = torch::cat({real, torch::randn({100, 2}) * 0.1 + 50.0});
  const auto got = cdrl::precisionRecall(real, generated);
  QCOMPARE(got.precision, 400.0 / 500.0);
  QCOMPARE(got.recall, 1.0);
  QCOMPARE(got.coverage, 1.0);
}

void TestPrecisionRecall::farOutliersInflateRecallButNotCoverage() {
  // Real points at x = 0, 1, …, 9 on a line (each one's nearest neighbour 1 away); samples copy
  // x = 0…4 and add one outlier at x = 30, whose nearest sample (x = 4) is 26 away. With k = 1:
  // the outlier's ball reaches real x = 5…9, so recall is 10/10 though half the data has no
  // sample near it; coverage asks the real points' own unit balls: x = 0…4 and x = 5 (4 is
  // exactly 1 away) hold a sample, 6/10. Precision: the five copies of six samples.
  const auto line = [](std::vector<double> xs) {
    auto t = torch::zeros({static_cast<int64_t>(xs.size()), 2}, torch::kDouble);
    for (size_t i = 0; i < xs.size(); ++i) t[static_cast<int64_t>(i)][0] = xs[i];
    return t;
  };
  const auto real = line({0, 1, 2, 3, 4, 5, 6, 7, 8, 9});
  const auto generated = line({0, 1, 2, 3, 4, 30});
  const auto got = cdrl::precisionRecall(real, generated, 1);
  QCOMPARE(got.recall, 1.0);
  QCOMPARE(got.coverage, 0.6);
  QCOMPARE(got.precision, 5.0 / 6.0);
}

void TestPrecisionRecall::collapseOntoTheModeCostsRecallOnly() {
  // A model that draws only the mode: every sample is on the data's support (a standard normal's
  // densest point, inside many real points' balls), but its balls have radius 0 and cover no
  // real point.
  const auto real = torch::randn({2000, 2});
  const auto got = cdrl::precisionRecall(real, torch::zeros({300, 2}));
  QCOMPARE(got.precision, 1.0);
  QCOMPARE(got.recall, 0.0);
  // The mode lies only in the balls of real points next to it: about k of 2 000 on average (each
  // point of a set lies in k of its balls, so a fresh point does in expectation).
  QVERIFY2(got.coverage < 0.01, qPrintable(QString::number(got.coverage)));
}

void TestPrecisionRecall::rejectsTooFewPointsAndMismatchedSizes() {
  QVERIFY_THROWS_EXCEPTION(std::invalid_argument,
                           cdrl::precisionRecall(torch::randn({3, 2}), torch::randn({10, 2})));
  QVERIFY_THROWS_EXCEPTION(std::invalid_argument,
                           cdrl::precisionRecall(torch::randn({10, 2}), torch::randn({10, 2}), 0));
  QVERIFY_THROWS_EXCEPTION(std::invalid_argument,
                           cdrl::precisionRecall(torch::randn({10, 2}), torch::randn({10, 3})));
}

QTEST_APPLESS_MAIN(TestPrecisionRecall)
#include "test_precision_recall.moc"
