// The procedural "faces" data set: CelebA's attribute names, each attribute visible, balanced and
// independent, nuisances that vary, and the faces written in CelebA's layout read back by the
// CelebA loader.
#include "data/celeba.h"
#include "data/faces_data.h"
#include "test_support.h"

#include <QtTest>

#include <opencv2/imgproc.hpp>

#include <cmath>
#include <random>
#include <set>
#include <vector>

using namespace cdrl;

namespace {

constexpr int64_t kImages = 3000;

}  // namespace

class TestFaces : public QObject {
  Q_OBJECT

 private Q_SLOTS:
  void datasetLayout();
  void attributesBalancedAndIndependent();
  void everyAttributeIsVisible();
  void nuisancesVary();
  void sameSeedSameFaces();
  void badArguments();
  void celebaLayoutRoundTrip();
};

void TestFaces::datasetLayout() {
  const auto d = makeFacesDataset(40, 3);
  QCOMPARE(d.name, std::string("faces"));
  QCOMPARE(d.data.sizes().vec(), (std::vector<int64_t>{40, 3, 32, 32}));
  QVERIFY(d.data.min().item<float>() >= -1.0f && d.data.max().item<float>() <= 1.0f);
  QCOMPARE(d.attributes.sizes().vec(), (std::vector<int64_t>{40, 6}));
  QCOMPARE(d.attribute_names, (std::vector<std::string>{"Male", "Smiling", "Young", "Eyeglasses",
                                                        "Wearing_Hat", "Blond_Hair"}));
  QVERIFY(!d.labels.defined());
}

void TestFaces::attributesBalancedAndIndependent() {
  const auto a = makeFacesDataset(kImages, 11).attributes.to(torch::kDouble);
  const double se = std::sqrt(0.25 / kImages);
  const auto p = a.mean(0);
  for (int64_t k = 0; k < kFaceAttributeCount; ++k)
    QVERIFY2(std::abs(p[k].item<double>() - 0.5) < 4 * se, qPrintable(QString::number(k)));
  // Pairwise: every joint cell near 1/4.
  const double se4 = std::sqrt(0.25 * 0.75 / kImages);
  for (int64_t i = 0; i < kFaceAttributeCount; ++i)
    for (int64_t j = i + 1; j < kFaceAttributeCount; ++j) {
      const double both = (a.select(1, i) * a.select(1, j)).mean().item<double>();
      QVERIFY2(std::abs(both - 0.25) < 4 * se4, qPrintable(QString("%1, %2").arg(i).arg(j)));
    }
}

void TestFaces::everyAttributeIsVisible() {
  // With the same nuisance draws, switching one attribute changes a visible patch of pixels,
  // whatever the others are.
  for (int base = 0; base < 64; ++base) {
    std::vector<int> attributes(kFaceAttributeCount);
    for (int64_t k = 0; k < kFaceAttributeCount; ++k) attributes[k] = (base >> k) & 1;
    std::mt19937_64 rng_a(base);
    const cv::Mat reference = drawFace(attributes, rng_a);
    for (int64_t k = 0; k < kFaceAttributeCount; ++k) {
      auto flipped = attributes;
      flipped[k] = 1 - flipped[k];
      std::mt19937_64 rng_b(base);
      const cv::Mat other = drawFace(flipped, rng_b);
      cv::Mat diff;
      cv::absdiff(reference, other, diff);
      cv::Mat grey;
      cv::cvtColor(diff, grey, cv::COLOR_BGR2GRAY);
      const int changed = cv::countNonZero(grey > 20);
      QVERIFY2(changed >= 8, qPrintable(QString("attribute %1 from combination %2: %3 pixels")
                                            .arg(faceAttributeNames()[k].c_str())
                                            .arg(base)
                                            .arg(changed)));
    }
  }
}

void TestFaces::nuisancesVary() {
  // One attribute combination, many draws: backgrounds, skin tones and positions differ.
  const auto attributes = torch::zeros({200, kFaceAttributeCount}, torch::kLong);
  std::mt19937_64 rng(9);
  const auto images = drawFaces(attributes, rng);
  std::set<std::vector<float>> corners, centres;
  for (int64_t i = 0; i < images.size(0); ++i) {
    const auto corner = images[i].select(1, 0).select(1, 0).contiguous();
    corners.insert({corner.data_ptr<float>(), corner.data_ptr<float>() + 3});
    const auto centre = images[i].select(1, 18).select(1, 16).contiguous();
    centres.insert({centre.data_ptr<float>(), centre.data_ptr<float>() + 3});
  }
  QVERIFY2(corners.size() >= 20, qPrintable(QString::number(corners.size())));
  QVERIFY2(centres.size() >= 4, qPrintable(QString::number(centres.size())));
}

void TestFaces::sameSeedSameFaces() {
  const auto a = makeFacesDataset(100, 42);
  QVERIFY(torch::equal(a.data, makeFacesDataset(100, 42).data));
  QVERIFY(!torch::equal(a.data, makeFacesDataset(100, 43).data));
}

void TestFaces::badArguments() {
  std::mt19937_64 rng(1);
  QVERIFY(test::contains(test::errorOf([&] { drawFace({1, 0}, rng); }), "expected 6"));
  QVERIFY(test::contains(test::errorOf([&] { drawFace({1, 0, 2, 0, 0, 0}, rng); }), "0 or 1"));
  QVERIFY(test::contains(test::errorOf([&] {
                           drawFaces(torch::zeros({2, 5}, torch::kLong), rng);
                         }),
                         "[N, 6]"));
  QVERIFY(test::contains(test::errorOf([] { makeFacesDataset(-1, 0); }), "n must be"));
}

void TestFaces::celebaLayoutRoundTrip() {
  const auto faces = makeFacesDataset(50, 5);
  const std::string root = test::tempDir("faces-celeba");
  writeCelebA(faces, root);
  ImageLoadOptions options;
  options.size = 32;
  options.channels = 3;
  const Dataset train = readCelebA(root, Split::Train, options);
  const Dataset test = readCelebA(root, Split::Test, options);
  QCOMPARE(train.size(), int64_t{40});  // 80% train, 10% validation, 10% test
  QCOMPARE(test.size(), int64_t{5});
  QCOMPARE(train.attribute_names, faceAttributeNames());
  QVERIFY(torch::equal(train.attributes, faces.attributes.slice(0, 0, 40)));
  QVERIFY(torch::equal(test.attributes, faces.attributes.slice(0, 45, 50)));
  // JPEG at quality 95 keeps the flat cartoon colours close.
  const double error = (train.data - faces.data.slice(0, 0, 40)).abs().mean().item<double>();
  QVERIFY2(error < 0.05, qPrintable(QString::number(error)));
}

QTEST_APPLESS_MAIN(TestFaces)
#include "test_faces.moc"
