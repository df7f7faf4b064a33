// Spectral normalisation (ALGORITHM.md §3): σ from power iteration against singular values from
// an SVD, the eval-mode cache and FrozenWeights.
#include "nn/spectral_norm.h"

#include <QtTest>

#include <map>
#include <string>

using cdrl::SNConv2d;
using cdrl::SNLinear;
using cdrl::SpectralNormedImpl;

namespace {

double largestSingularValue(const torch::Tensor& w) {
  const auto m = w.detach().to(torch::kDouble).reshape({w.size(0), -1});
  return torch::linalg_svdvals(m).max().item<double>();
}

std::shared_ptr<SpectralNormedImpl> makeLayer(const QString& kind, int64_t in, int64_t out,
                                              int64_t kernel, bool bias = true) {
  if (kind == "linear") return SNLinear(in, out, bias).ptr();
  return SNConv2d(in, out, kernel, bias).ptr();
}

torch::Tensor inputFor(const QString& kind, int64_t in, int64_t batch = 4) {
  if (kind == "linear") return torch::randn({batch, in});
  return torch::randn({batch, in, 6, 5});
}

// The layer's output computed here from W/σ with plain LibTorch ops.
torch::Tensor referenceForward(const QString& kind, const torch::Tensor& x, const torch::Tensor& w,
                               const torch::Tensor& b, double sigma) {
  const auto wn = w.detach() / sigma;
  if (kind == "linear") {
    auto y = torch::matmul(x, wn.t());
    return b.defined() ? y + b.detach() : y;
  }
  return torch::conv2d(x, wn, b.defined() ? b.detach() : torch::Tensor(), 1, w.size(2) / 2);
}

torch::Tensor forward(const QString& kind, SpectralNormedImpl& layer, const torch::Tensor& x) {
  if (kind == "linear") return static_cast<cdrl::SNLinearImpl&>(layer).forward(x);
  return static_cast<cdrl::SNConv2dImpl&>(layer).forward(x);
}

}  // namespace

class TestSpectralNorm : public QObject {
  Q_OBJECT

 private Q_SLOTS:
  void init() { torch::manual_seed(20240601); }

  void sigmaMatchesSvd_data();
  void sigmaMatchesSvd();
  void knownSpectrum();
  void normalizedWeightHasUnitSpectralNorm_data();
  void normalizedWeightHasUnitSpectralNorm();
  void forwardUsesNormalizedWeight_data();
  void forwardUsesNormalizedWeight();
  void evalCacheTracksWeightChanges_data();
  void evalCacheTracksWeightChanges();
  void frozenWeightsCutWeightGradient_data();
  void frozenWeightsCutWeightGradient();
  void frozenWeightsGuardNests();
  void spectralOffIsPlainLayer();
};

void TestSpectralNorm::sigmaMatchesSvd_data() {
  QTest::addColumn<QString>("kind");
  QTest::addColumn<int>("in");
  QTest::addColumn<int>("out");
  QTest::addColumn<int>("kernel");
  QTest::newRow("linear 20→30") << "linear" << 20 << 30 << 1;
  QTest::newRow("linear 64→8") << "linear" << 64 << 8 << 1;
  QTest::newRow("linear 128→128") << "linear" << 128 << 128 << 1;
  QTest::newRow("conv 3→16 k3") << "conv" << 3 << 16 << 3;
  QTest::newRow("conv 16→8 k3") << "conv" << 16 << 8 << 3;
  QTest::newRow("conv 8→12 k1") << "conv" << 8 << 12 << 1;
}

void TestSpectralNorm::sigmaMatchesSvd() {
  QFETCH(QString, kind);
  QFETCH(int, in);
  QFETCH(int, out);
  QFETCH(int, kernel);
  auto layer = makeLayer(kind, in, out, kernel);
  QVERIFY(layer->spectral());
  QCOMPARE(layer->u.numel(), int64_t(out));
  QCOMPARE(layer->v.numel(), int64_t(in) * kernel * kernel);
  // Power iteration converges like (σ2/σ1)^(2n); 1000 steps is ample for random matrices.
  for (int k = 0; k < 1000; ++k) layer->powerIterate();
  const double expected = largestSingularValue(layer->weight);
  const double sigma = layer->sigma().item<double>();
  QVERIFY2(std::abs(sigma - expected) <= 1e-4 * expected,
           qPrintable(QString("σ %1, SVD %2").arg(sigma).arg(expected)));
  // u, v stay unit vectors.
  QVERIFY(std::abs(layer->u.norm().item<double>() - 1.0) < 1e-5);
  QVERIFY(std::abs(layer->v.norm().item<double>() - 1.0) < 1e-5);
}

void TestSpectralNorm::knownSpectrum() {
  // W = Q1 · diag(3, 1.5, 0.5, 0.25) · Q2ᵀ: σ(W) = 3 exactly.
  SNLinear layer(4, 6);
  const auto q1 = std::get<0>(torch::linalg_qr(torch::randn({6, 4}, torch::kDouble)));
  const auto q2 = std::get<0>(torch::linalg_qr(torch::randn({4, 4}, torch::kDouble)));
  const auto s = torch::tensor({3.0, 1.5, 0.5, 0.25}, torch::kDouble);
  const auto w = torch::matmul(q1 * s, q2.t());
  {
    torch::NoGradGuard no_grad;
    layer->weight.copy_(w);
  }
  for (int k = 0; k < 100; ++k) layer->powerIterate();  // (1.5/3)^200: converged
  QVERIFY(std::abs(layer->sigma().item<double>() - 3.0) < 1e-5);
  layer->eval();
  const auto sv = torch::linalg_svdvals(layer->normalizedWeight().to(torch::kDouble));
  QVERIFY(torch::allclose(sv, s / 3.0, 1e-5, 1e-6));
}

void TestSpectralNorm::normalizedWeightHasUnitSpectralNorm_data() { sigmaMatchesSvd_data(); }

void TestSpectralNorm::normalizedWeightHasUnitSpectralNorm() {
  QFETCH(QString, kind);
  QFETCH(int, in);
  QFETCH(int, out);
  QFETCH(int, kernel);
  auto layer = makeLayer(kind, in, out, kernel);
  for (int k = 0; k < 1000; ++k) layer->powerIterate();
  // Training mode (with history) and eval mode (cached) agree and have spectral norm 1.
  const auto trained = layer->normalizedWeight();
  QVERIFY(trained.requires_grad());
  QVERIFY(std::abs(largestSingularValue(trained) - 1.0) < 1e-4);
  layer->eval();
  const auto cached = layer->normalizedWeight();
  QVERIFY(!cached.requires_grad());
  QVERIFY(std::abs(largestSingularValue(cached) - 1.0) < 1e-4);
  QVERIFY(torch::allclose(trained.detach(), cached, 1e-6, 1e-7));
  QCOMPARE(cached.sizes(), layer->weight.sizes());
}

void TestSpectralNorm::forwardUsesNormalizedWeight_data() { sigmaMatchesSvd_data(); }

void TestSpectralNorm::forwardUsesNormalizedWeight() {
  QFETCH(QString, kind);
  QFETCH(int, in);
  QFETCH(int, out);
  QFETCH(int, kernel);
  auto layer = makeLayer(kind, in, out, kernel);
  {
    torch::NoGradGuard no_grad;
    layer->bias.uniform_(-0.5, 0.5);
  }
  for (int k = 0; k < 1000; ++k) layer->powerIterate();
  const double sigma = largestSingularValue(layer->weight);
  const auto x = inputFor(kind, in);
  const auto expected = referenceForward(kind, x, layer->weight, layer->bias, sigma);
  // Same-size convolution (padding k/2), output of the normalised weight, in both modes.
  const auto y_train = forward(kind, *layer, x);
  QCOMPARE(y_train.sizes(), expected.sizes());
  QVERIFY(torch::allclose(y_train.detach(), expected, 1e-4, 1e-5));
  layer->eval();
  QVERIFY(torch::allclose(forward(kind, *layer, x), expected, 1e-4, 1e-5));
}

void TestSpectralNorm::evalCacheTracksWeightChanges_data() { sigmaMatchesSvd_data(); }

void TestSpectralNorm::evalCacheTracksWeightChanges() {
  QFETCH(QString, kind);
  QFETCH(int, in);
  QFETCH(int, out);
  QFETCH(int, kernel);
  auto layer = makeLayer(kind, in, out, kernel);
  const auto matches = [&] {
    // The cached weight equals W/σ for the current W, u, v (σ = uᵀ W v recomputed here).
    const auto w = layer->weight.detach().reshape({layer->weight.size(0), -1});
    const auto sigma = torch::dot(layer->u, torch::mv(w, layer->v));
    return torch::allclose(layer->normalizedWeight(), layer->weight.detach() / sigma, 1e-6, 1e-7);
  };
  layer->eval();
  const auto first = layer->normalizedWeight().clone();
  QVERIFY(matches());
  QVERIFY(torch::equal(layer->normalizedWeight(), first));

  // 1. In-place change of W (as a load or EMA update does).
  {
    torch::NoGradGuard no_grad;
    layer->weight.add_(0.05 * torch::randn_like(layer->weight));
  }
  QVERIFY(matches());
  const auto second = layer->normalizedWeight().clone();
  QVERIFY(!torch::allclose(second, first));

  // 2. An optimiser step taken in training mode, with the optimiser the trainer uses (Adam; its
  // in-place update bumps the weight's version counter, which is what the cache is keyed on).
  layer->train();
  torch::optim::Adam adam(layer->parameters(), torch::optim::AdamOptions(0.05));
  adam.zero_grad();
  forward(kind, *layer, inputFor(kind, in)).pow(2).sum().backward();
  QVERIFY(layer->weight.grad().defined());
  const auto version = layer->weight._version();
  adam.step();
  QVERIFY(layer->weight._version() > version);
  layer->eval();
  QVERIFY(matches());
  const auto third = layer->normalizedWeight().clone();
  QVERIFY(!torch::allclose(third, second));

  // 3. A power-iteration step (u, v change, W does not).
  layer->powerIterate();
  QVERIFY(matches());

  // 4. copy_ of a whole new weight.
  {
    torch::NoGradGuard no_grad;
    layer->weight.copy_(torch::randn_like(layer->weight));
  }
  QVERIFY(matches());
  QVERIFY(!torch::allclose(layer->normalizedWeight(), third));
}

void TestSpectralNorm::frozenWeightsCutWeightGradient_data() { sigmaMatchesSvd_data(); }

void TestSpectralNorm::frozenWeightsCutWeightGradient() {
  QFETCH(QString, kind);
  QFETCH(int, in);
  QFETCH(int, out);
  QFETCH(int, kernel);
  auto layer = makeLayer(kind, in, out, kernel, /*bias=*/false);
  auto biased = makeLayer(kind, in, out, kernel, /*bias=*/true);
  QVERIFY(layer->is_training());
  const auto x = inputFor(kind, in).requires_grad_(true);

  // Outside the guard, training-mode outputs depend on W.
  {
    const auto y = forward(kind, *layer, x);
    const auto g = torch::autograd::grad({y.pow(2).sum()}, {x, layer->weight}, {}, false, false,
                                         /*allow_unused=*/true);
    QVERIFY(g[0].defined());
    QVERIFY(g[1].defined());
    QVERIFY(g[1].abs().sum().item<double>() > 0);
  }
  cdrl::FrozenWeights frozen;
  QVERIFY(cdrl::FrozenWeights::active());
  {
    // With the guard: gradient w.r.t. the input, none w.r.t. the weight.
    const auto y = forward(kind, *layer, x);
    const auto g = torch::autograd::grad({y.pow(2).sum()}, {x, layer->weight}, {}, false, false,
                                         /*allow_unused=*/true);
    QVERIFY(g[0].defined());
    QVERIFY(g[0].abs().sum().item<double>() > 0);
    QVERIFY(!g[1].defined());
    // And with an input that needs no gradient, the output has no history at all.
    const auto y_const = forward(kind, *layer, x.detach());
    QVERIFY(!y_const.requires_grad());
    QVERIFY(!y_const.grad_fn());
    // The values are those of W/σ.
    const auto expected = referenceForward(kind, x.detach(), layer->weight, torch::Tensor(),
                                           layer->sigma().item<double>());
    QVERIFY(torch::allclose(y_const, expected, 1e-5, 1e-6));
  }
  {
    // With a bias, only the bias remains a parameter on the path.
    const auto y = forward(kind, *biased, x);
    const auto g = torch::autograd::grad({y.sum()}, {x, biased->weight, biased->bias}, {}, false,
                                         false, /*allow_unused=*/true);
    QVERIFY(g[0].defined());
    QVERIFY(!g[1].defined());
  }
}

void TestSpectralNorm::frozenWeightsGuardNests() {
  QVERIFY(!cdrl::FrozenWeights::active());
  {
    cdrl::FrozenWeights outer;
    QVERIFY(cdrl::FrozenWeights::active());
    {
      cdrl::FrozenWeights inner;
      QVERIFY(cdrl::FrozenWeights::active());
    }
    QVERIFY(cdrl::FrozenWeights::active());
  }
  QVERIFY(!cdrl::FrozenWeights::active());
}

void TestSpectralNorm::spectralOffIsPlainLayer() {
  SNLinear layer(5, 3, true, /*spectral=*/false);
  QVERIFY(!layer->spectral());
  QVERIFY(!layer->u.defined());
  QVERIFY(!layer->v.defined());
  QVERIFY(layer->named_buffers().is_empty());
  layer->powerIterate();  // a no-op
  QVERIFY(layer->normalizedWeight().is_same(layer->weight));
  const auto x = torch::randn({2, 5});
  QVERIFY(torch::allclose(layer->forward(x),
                          torch::matmul(x, layer->weight.detach().t()) + layer->bias.detach()));
}

QTEST_APPLESS_MAIN(TestSpectralNorm)
#include "test_spectral_norm.moc"
