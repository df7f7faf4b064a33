// The model's EMA copies (ALGORITHM.md §5.8) and their normalisation state (§8): power iteration
// reaches every spectral-norm layer of a preset's EBM, and Model::updateEma carries the live u, v.
#include "cdrl/model.h"
#include "cdrl/preset.h"
#include "nn/spectral_norm.h"

#include <QtTest>

#include <map>
#include <string>

using cdrl::SpectralNormedImpl;

namespace {

double largestSingularValue(const torch::Tensor& w) {
  const auto m = w.detach().to(torch::kDouble).reshape({w.size(0), -1});
  return torch::linalg_svdvals(m).max().item<double>();
}

std::map<std::string, torch::Tensor> cloneBuffers(const torch::nn::Module& m) {
  std::map<std::string, torch::Tensor> out;
  for (const auto& item : m.named_buffers()) out[item.key()] = item.value().clone();
  return out;
}

std::map<std::string, torch::Tensor> cloneParameters(const torch::nn::Module& m) {
  std::map<std::string, torch::Tensor> out;
  for (const auto& item : m.named_parameters()) out[item.key()] = item.value().detach().clone();
  return out;
}

}  // namespace

class TestEma : public QObject {
  Q_OBJECT

 private Q_SLOTS:
  void init() { torch::manual_seed(20240601); }

  void powerIterateReachesEveryLayer();
  void emaCarriesLiveNormalisationState();
  void emaParametersFollowDecay();
};

void TestEma::powerIterateReachesEveryLayer() {
  const auto config = cdrl::preset("toy2d").model;
  auto ebm = cdrl::makeEnergyNet(config.ebm, config.data_shape, config.num_classes);
  int layers = 0;
  for (int k = 0; k < 800; ++k) cdrl::powerIterate(*ebm);
  for (const auto& module : ebm->modules()) {
    auto sn = std::dynamic_pointer_cast<SpectralNormedImpl>(module);
    if (!sn || !sn->spectral()) continue;
    ++layers;
    const double expected = largestSingularValue(sn->weight);
    QVERIFY2(std::abs(sn->sigma().item<double>() - expected) <= 1e-3 * expected,
             qPrintable(QString("layer %1: σ %2 vs %3")
                            .arg(layers)
                            .arg(sn->sigma().item<double>())
                            .arg(expected)));
  }
  QVERIFY(layers >= 5);  // embedding (2) + input layer + block layers
}

void TestEma::emaCarriesLiveNormalisationState() {
  const auto config = cdrl::preset("toy2d").model;
  QVERIFY(config.ebm.spectral_norm);
  cdrl::Model model(config, torch::kCPU);
  auto& live = *model.ebm();
  auto& ema = *model.ebmEma();
  QVERIFY(!ema.is_training());

  // Training-like drift: new weights, then a few power iterations on the live net only.
  {
    torch::NoGradGuard no_grad;
    for (auto& p : live.parameters()) p.add_(0.2 * torch::randn_like(p));
  }
  for (int k = 0; k < 5; ++k) cdrl::powerIterate(live);
  const auto stale = cloneBuffers(ema);
  const auto live_buffers = cloneBuffers(live);
  QVERIFY(!live_buffers.empty());
  int differing = 0;
  for (const auto& [name, value] : live_buffers)
    if (!torch::equal(value, stale.at(name))) ++differing;
  QVERIFY2(differing > 0, "precondition: the live u, v moved away from the EMA's");

  model.updateEma(0.9);
  for (const auto& item : ema.named_buffers())
    QVERIFY2(torch::equal(item.value(), live_buffers.at(item.key())), item.key().c_str());

  // With decay 0 the EMA is the live network: equal energies in eval mode on the same input.
  model.updateEma(0.0);
  live.eval();
  const auto y = torch::randn({64, 2}) * 2.0;
  const auto lambda = torch::linspace(-5.0, 9.0, 64);
  const auto label = torch::zeros({64}, torch::kLong);
  torch::NoGradGuard no_grad;
  const auto f_live = live.energy(y, live.embed(lambda, label));
  const auto f_ema = ema.energy(y, ema.embed(lambda, label));
  QVERIFY(f_live.abs().max().item<double>() > 0);
  QVERIFY(torch::allclose(f_ema, f_live, 1e-5, 1e-6));
  auto& init_live = *model.initializer();
  auto& init_ema = *model.initializerEma();
  init_live.eval();
  QVERIFY(torch::allclose(init_ema.propose(y, init_ema.embed(lambda, label)),
                          init_live.propose(y, init_live.embed(lambda, label)), 1e-5, 1e-6));

  // The failure of §8: the same EMA weights with the stale u, v give a different energy.
  for (auto& item : ema.named_buffers()) item.value().copy_(stale.at(item.key()));
  const auto f_stale = ema.energy(y, ema.embed(lambda, label));
  QVERIFY(!torch::allclose(f_stale, f_live, 1e-3, 1e-4));
}

void TestEma::emaParametersFollowDecay() {
  cdrl::Model model(cdrl::preset("toy2d").model, torch::kCPU);
  for (auto* net : {static_cast<torch::nn::Module*>(model.ebm().get()),
                    static_cast<torch::nn::Module*>(model.initializer().get())}) {
    torch::NoGradGuard no_grad;
    for (auto& p : net->parameters()) p.add_(0.1 * torch::randn_like(p));
  }
  const auto ema_before = cloneParameters(*model.ebmEma());
  const auto init_before = cloneParameters(*model.initializerEma());
  model.updateEma(0.75);
  // θ_ema ← d·θ_ema + (1 − d)·θ (§5.8).
  const auto live = cloneParameters(*model.ebm());
  for (const auto& item : model.ebmEma()->named_parameters()) {
    const auto expected = 0.75 * ema_before.at(item.key()) + 0.25 * live.at(item.key());
    QVERIFY2(torch::allclose(item.value(), expected, 1e-6, 1e-7), item.key().c_str());
    QVERIFY(!item.value().requires_grad());
  }
  const auto init_live = cloneParameters(*model.initializer());
  for (const auto& item : model.initializerEma()->named_parameters()) {
    const auto expected = 0.75 * init_before.at(item.key()) + 0.25 * init_live.at(item.key());
    QVERIFY2(torch::allclose(item.value(), expected, 1e-6, 1e-7), item.key().c_str());
  }
}

QTEST_APPLESS_MAIN(TestEma)
#include "test_ema.moc"
