// 2×2 mean pooling (a fixed depthwise convolution) against its definition.
#include "nn/pooling.h"

#include <QtTest>

#include <torch/torch.h>

#include <cmath>
#include <vector>

using namespace cdrl;

class TestPooling : public QObject {
  Q_OBJECT

 private Q_SLOTS:
  // Each output is the mean of its 2×2 block, and the input gradient spreads ¼ to each of them.
  void meanPool2xIsTheBlockMean() {
    torch::manual_seed(3);
    const auto x = torch::randn({2, 3, 6, 4});
    auto x_var = x.clone().requires_grad_(true);
    const auto y = meanPool2x(x_var);
    QCOMPARE(y.sizes().vec(), (std::vector<int64_t>{2, 3, 3, 2}));
    const auto xa = x.accessor<float, 4>();
    const auto y_values = y.detach();
    const auto ya = y_values.accessor<float, 4>();
    for (int b = 0; b < 2; ++b)
      for (int c = 0; c < 3; ++c)
        for (int i = 0; i < 3; ++i)
          for (int j = 0; j < 2; ++j) {
            const double mean = (double(xa[b][c][2 * i][2 * j]) + xa[b][c][2 * i + 1][2 * j] +
                                 xa[b][c][2 * i][2 * j + 1] + xa[b][c][2 * i + 1][2 * j + 1]) /
                                4.0;
            QVERIFY(std::abs(ya[b][c][i][j] - mean) <= 1e-6 * (1 + std::abs(mean)));
          }
    const auto w = torch::randn(y.sizes());
    const auto grad = torch::autograd::grad({(y * w).sum()}, {x_var})[0];
    const auto expected = 0.25 * torch::repeat_interleave(torch::repeat_interleave(w, 2, 2), 2, 3);
    QVERIFY(torch::allclose(grad, expected, 1e-6, 1e-7));
  }
};

QTEST_APPLESS_MAIN(TestPooling)
#include "test_pooling.moc"
