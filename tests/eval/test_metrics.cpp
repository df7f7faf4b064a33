// Evaluation metrics against closed forms and hand-worked examples: Fréchet distance, ROC.
#include "eval/frechet.h"
#include "eval/roc.h"

#include <QtTest>

#include <cmath>

using namespace cdrl;

class TestMetrics : public QObject {
  Q_OBJECT

 private Q_SLOTS:
  void frechetOneDimensional() {
    // 1-D closed form: (μ_a − μ_b)² + (σ_a − σ_b)².
    const Gaussian a{torch::tensor({1.5}, torch::kDouble), torch::tensor({{4.0}}, torch::kDouble)};
    const Gaussian b{torch::tensor({-0.5}, torch::kDouble),
                     torch::tensor({{0.25}}, torch::kDouble)};
    QVERIFY(std::abs(frechetDistance(a, b) - (4.0 + 2.25)) < 1e-12);
  }

  void frechetCommutingCovariances() {
    // Σ_a = R diag(α) Rᵀ, Σ_b = R diag(β) Rᵀ share eigenvectors, so the trace term is
    // Σ_k (sqrt α_k − sqrt β_k)².
    torch::manual_seed(0);
    const auto R = std::get<0>(torch::linalg_qr(torch::randn({5, 5}, torch::kDouble)));
    const auto alpha = torch::tensor({0.5, 1.0, 2.0, 3.0, 9.0}, torch::kDouble);
    const auto beta = torch::tensor({4.0, 1.0, 0.25, 3.0, 1.0}, torch::kDouble);
    const Gaussian a{torch::zeros({5}, torch::kDouble), R.matmul(torch::diag(alpha)).matmul(R.t())};
    const Gaussian b{torch::full({5}, 1.0, torch::kDouble),
                     R.matmul(torch::diag(beta)).matmul(R.t())};
    const double expected = 5.0 + (alpha.sqrt() - beta.sqrt()).pow(2).sum().item<double>();
    QVERIFY2(std::abs(frechetDistance(a, b) - expected) < 1e-9,
             qPrintable(QString::number(frechetDistance(a, b), 'g', 15)));
  }

  void frechetOfIdenticalIsZeroAndSymmetric() {
    torch::manual_seed(1);
    const auto A = torch::randn({6, 6}, torch::kDouble);
    const auto B = torch::randn({6, 6}, torch::kDouble);
    const Gaussian a{torch::randn({6}, torch::kDouble), A.matmul(A.t())};
    const Gaussian b{torch::randn({6}, torch::kDouble), B.matmul(B.t())};
    QVERIFY(std::abs(frechetDistance(a, a)) < 1e-9);
    QVERIFY(std::abs(frechetDistance(a, b) - frechetDistance(b, a)) < 1e-8);
    QVERIFY(frechetDistance(a, b) > 0);
  }

  void frechetFromSamples() {
    // Features drawn from N(0, I) and N(μ, 4I) in 3-D: FD = ‖μ‖² + 3·(2 − 1)² = 3 + 3.
    torch::manual_seed(2);
    const auto x = torch::randn({200000, 3}, torch::kDouble);
    const auto y = 2 * torch::randn({200000, 3}, torch::kDouble) + 1.0;
    QVERIFY(std::abs(frechetDistance(x, y) - 6.0) < 0.05);
  }

  void rocHandWorkedWithTies() {
    // 16 pairs: 0.9 beats all 4; each 0.8 beats 3 and ties 1 (3.5); 0.3 beats 1 and ties 1 (1.5).
    const auto roc = rocCurve({0.9, 0.8, 0.8, 0.3}, {0.8, 0.5, 0.3, 0.1});
    QCOMPARE(roc.auroc, 12.5 / 16);
    // TPR ≥ 0.95 needs every in-score: threshold 0.3 admits 0.8, 0.5 and 0.3 of the out-scores.
    QCOMPARE(roc.fpr_at_95_tpr, 0.75);
    QCOMPARE(roc.tpr.back(), 1.0);
    QCOMPARE(roc.fpr.back(), 1.0);
    QCOMPARE(roc.thresholds.size(), size_t{6});  // +∞ and the 5 distinct scores
  }

  void rocExtremes() {
    QCOMPARE(rocCurve({3, 4, 5}, {0, 1, 2}).auroc, 1.0);
    QCOMPARE(rocCurve({3, 4, 5}, {0, 1, 2}).fpr_at_95_tpr, 0.0);
    QCOMPARE(rocCurve({0, 1, 2}, {3, 4, 5}).auroc, 0.0);
    QCOMPARE(rocCurve({1, 1}, {1, 1, 1}).auroc, 0.5);
  }

  void rocRejectsBadInput() {
    QVERIFY_THROWS_EXCEPTION(std::invalid_argument, rocCurve({}, {1.0}));
    QVERIFY_THROWS_EXCEPTION(std::invalid_argument, rocCurve({NAN}, {1.0}));
  }
};

QTEST_APPLESS_MAIN(TestMetrics)
#include "test_metrics.moc"
