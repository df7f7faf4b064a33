// Evaluation building blocks against hand-worked examples: concept names and the concepts a
// judged sample carries, the nearest-neighbour OOD baseline, held-out data, the classifier file
// and the TorchScript Inception wrapper.
#include "cdrl/concepts.h"
#include "cdrl/model.h"
#include "cdrl/model_checkpoint.h"
#include "data/data_source.h"
#include "eval/evaluation.h"
#include "eval/inception.h"
#include "eval/ood.h"
#include "model_support.h"
#include "nn/classifier.h"
#include "test_support.h"

#include <QtTest>

#include <cstdlib>
#include <fstream>

using namespace cdrl;
using namespace cdrl::test;

namespace {

ModelConfig attributeConfig() {
  ModelConfig c = smallImageConfig();
  c.class_names = {"circle=0", "circle=1", "red=0", "red=1"};
  c.num_classes = 4;
  return c;
}

ModelConfig classConfig() {
  ModelConfig c = smallImageConfig();
  c.class_names = {"shirt", "shoe", "bag"};
  c.num_classes = 3;
  return c;
}

std::vector<int64_t> asVector(const torch::Tensor& t) {
  const auto c = t.to(torch::kLong).contiguous();
  return {c.data_ptr<int64_t>(), c.data_ptr<int64_t>() + c.numel()};
}

ClassifierConfig smallClassifierConfig() {
  ClassifierConfig c;
  c.data_shape = {1, 8, 8};
  c.output_names = {"a", "b", "c"};
  c.dataset = "test";
  c.width = 4;
  c.feature_dim = 6;
  return c;
}

}  // namespace

class TestEvaluation : public QObject {
  Q_OBJECT

 private Q_SLOTS:
  void conceptNamesAndWeights() {
    const auto config = attributeConfig();
    QCOMPARE(conceptLabel(config, "red=1"), int64_t{4});
    const auto term = parseConceptTerm(config, "circle=0:2.5");
    QCOMPARE(term.label, int64_t{1});
    QCOMPARE(term.weight, 2.5);
    QVERIFY(contains(errorOf([&] { parseConceptTerm(config, "green=1"); }),
                     "unknown; the model has circle=0, circle=1, red=0, red=1"));
    QVERIFY(contains(errorOf([&] { parseConceptTerm(config, "red=1:2x"); }), "not a number"));
    QVERIFY(contains(errorOf([&] { conceptLabel(smallImageConfig(), "red=1"); }), "unconditional"));
  }

  void attributeModelsAreRecognised() {
    QVERIFY(isAttributeModel(attributeConfig()));
    QVERIFY(!isAttributeModel(classConfig()));
    QCOMPARE(attributeNames(attributeConfig()), (std::vector<std::string>{"circle", "red"}));
    QCOMPARE(attributeOfConcept(4).attribute, int64_t{1});
    QCOMPARE(attributeOfConcept(4).value, int64_t{1});
    QCOMPARE(attributeOfConcept(1).value, int64_t{0});
  }

  void conceptsHoldForAttributes() {
    // Rows: (circle, red) = (1,1), (1,0), (0,1), (0,0).
    const auto judged = torch::tensor({1, 1, 1, 0, 0, 1, 0, 0}, torch::kLong).view({4, 2});
    const auto config = attributeConfig();
    QCOMPARE(asVector(conceptsHold(config, judged, {2, 4})), (std::vector<int64_t>{1, 0, 0, 0}));
    QCOMPARE(asVector(conceptsHold(config, judged, {3})), (std::vector<int64_t>{0, 1, 0, 1}));
    QCOMPARE(asVector(conceptsHold(config, judged, {1, 3})), (std::vector<int64_t>{0, 0, 0, 1}));
    QVERIFY(contains(errorOf([&] { conceptsHold(config, judged, {5}); }), "out of range"));
  }

  void conceptsHoldForClasses() {
    // Concept c is class c − 1.
    const auto judged = torch::tensor({0, 2, 1, 2}, torch::kLong);
    QCOMPARE(asVector(conceptsHold(classConfig(), judged, {3})),
             (std::vector<int64_t>{0, 1, 0, 1}));
    QCOMPARE(asVector(conceptsHold(classConfig(), judged, {1})),
             (std::vector<int64_t>{1, 0, 0, 0}));
  }

  // Guided accuracy keeps each concept's share: with a judge that sees every sample as a shoe,
  // the shoe's samples are all right, the others' none, and the mean is their average.
  void guidedAccuracyPerConcept() {
    torch::manual_seed(0);
    Model model(classConfig(), torch::kCPU);
    const Judge shoes{[](const torch::Tensor& images) {
                        return torch::ones({images.size(0)}, torch::kLong);  // class 1: "shoe"
                      },
                      "a judge that sees only shoes"};
    EvalSampling sampling;
    sampling.count = 6;  // two samples per concept
    sampling.steps = 1;
    const auto rows = guidedAccuracy(model, {0.0, 2.0}, sampling, shoes);
    QCOMPARE(rows.size(), size_t{2});
    for (const auto& row : rows) {
      QCOMPARE(row.concept_accuracy, (std::vector<double>{0.0, 1.0, 0.0}));
      QVERIFY(std::abs(row.accuracy - 1.0 / 3.0) < 1e-12);
      QCOMPARE(row.images.size(0), int64_t{6});
    }
    QCOMPARE(rows[1].weight, 2.0);
  }

  void nearestNeighbourBaseline() {
    // Training points (0,0) and (3,4); queries (3,0) → nearest at distance 3, (3,5) → 1,
    // (0,0) → 0.
    const auto training = torch::tensor({0.0, 0.0, 3.0, 4.0}).view({2, 2});
    const auto queries = torch::tensor({3.0, 0.0, 3.0, 5.0, 0.0, 0.0}).view({3, 2});
    const auto scores = nearestNeighbourScores(training, queries, 2);
    QVERIFY(std::abs(scores[0].item<double>() + 3.0) < 1e-5);
    QVERIFY(std::abs(scores[1].item<double>() + 1.0) < 1e-5);
    QVERIFY(std::abs(scores[2].item<double>()) < 1e-3);
    QVERIFY(contains(errorOf([&] {
                       nearestNeighbourScores(training, torch::zeros({2, 3}));
                     }),
                     "differ in shape"));
  }

  void heldOutDataOfEachKind() {
    QCOMPARE(heldOutData("fashion-mnist").spec, std::string("fashion-mnist-test"));
    QCOMPARE(heldOutData("fashion-mnist:/d").spec, std::string("fashion-mnist-test:/d"));
    QCOMPARE(heldOutData("cifar10:/c").spec, std::string("cifar10-test:/c"));
    QCOMPARE(heldOutData("celeba-test:/r").spec, std::string("celeba-test:/r"));
    const auto shapes = heldOutData("shapes:500", 7);
    QCOMPARE(shapes.spec, std::string("shapes:500"));
    QVERIFY(shapes.seed != 7);
    // Drawn with the other seed, generated held-out data share no example with the training set.
    const auto train = loadDataset("shapes:200", 7).data.flatten(1);
    const auto test = loadDataset(shapes.spec, shapes.seed).data.slice(0, 0, 200).flatten(1);
    QVERIFY(!torch::equal(train, test));
    QVERIFY(heldOutData("folder:/x").spec.empty());
  }

  void classifierFileRoundTrip() {
    torch::manual_seed(3);
    Classifier net(smallClassifierConfig());
    const std::string path = tempDir("classifier") + "/c.safetensors";
    saveClassifier(path, net);
    auto loaded = loadClassifier(path);
    const auto x = torch::randn({5, 1, 8, 8});
    QVERIFY(torch::equal(classifierLogits(net, x), classifierLogits(loaded, x)));
    QCOMPARE(loaded->config().output_names, net->config().output_names);
    QCOMPARE(classifierFeatures(loaded, x).size(1), int64_t{6});
  }

  void classifierFileErrors() {
    const std::string dir = tempDir("classifier_errors");
    Model model(smallImageConfig(), torch::kCPU);
    saveCheckpoint(dir + "/model.safetensors", model);
    QVERIFY(contains(errorOf([&] { loadClassifier(dir + "/model.safetensors"); }),
                     "not a CDRL classifier"));
    Classifier net(smallClassifierConfig());
    saveClassifier(dir + "/c.safetensors", net);
    {
      std::fstream f(dir + "/c.safetensors", std::ios::in | std::ios::out | std::ios::binary);
      f.seekp(-3, std::ios::end);
      f.put('\x7f');
    }
    QVERIFY(contains(errorOf([&] { loadClassifier(dir + "/c.safetensors"); }), "corrupted"));
  }

  void multiLabelPrediction() {
    auto config = smallClassifierConfig();
    config.multi_label = true;
    Classifier net(config);
    const auto logits = torch::tensor({2.0, -1.0, 0.5, -3.0, 4.0, -0.1}).view({2, 3});
    QCOMPARE(asVector(net->predict(logits)), (std::vector<int64_t>{1, 0, 1, 0, 1, 0}));
    Classifier single(smallClassifierConfig());
    QCOMPARE(asVector(single->predict(logits)), (std::vector<int64_t>{0, 1}));
  }

  void inceptionWrapperFeedsTheModule() {
    // Debian's python3-torch (the system python, not a pyenv shim) writes a TorchScript stand-in
    // for Inception that returns the per-channel mean: a constant grey
    // image c ∈ [−1, 1] reaches the module as (c + 1)/2 in all three channels at 299×299.
    const std::string dir = tempDir("inception");
    const std::string path = dir + "/mean.pt";
    std::ofstream(dir + "/make.py") << "import torch\n"
                                       "class M(torch.nn.Module):\n"
                                       "    def forward(self, x):\n"
                                       "        assert x.shape[1:] == (3, 299, 299)\n"
                                       "        return x.mean(dim=(2, 3))\n"
                                       "torch.jit.script(M()).save('"
                                    << path << "')\n";
    QCOMPARE(std::system(("/usr/bin/python3 " + dir + "/make.py").c_str()), 0);
    InceptionFeatures inception(path, torch::kCPU);
    const auto images =
        torch::tensor({-1.0f, 0.0f, 0.5f}).view({3, 1, 1, 1}).expand({3, 1, 28, 28});
    const auto features = inception(images, 2);
    QCOMPARE(features.sizes().vec(), (std::vector<int64_t>{3, 3}));
    const auto expected =
        torch::tensor({0.0, 0.5, 0.75}, torch::kDouble).view({3, 1}).expand({3, 3});
    QVERIFY(torch::allclose(features, expected, 0, 1e-6));
    std::ofstream(dir + "/bad.pt") << "not a module";
    QVERIFY(contains(errorOf([&] { InceptionFeatures(dir + "/bad.pt", torch::kCPU); }),
                     "not a loadable TorchScript module"));
  }
};

QTEST_GUILESS_MAIN(TestEvaluation)
#include "test_evaluation.moc"
