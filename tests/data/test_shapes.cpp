// The procedural "shapes" attribute data set and its exact attribute detector.
#include <opencv2/imgproc.hpp>

#include <QtTest>

#include <cmath>
#include <random>
#include <stdexcept>
#include <vector>

#include "data/shapes_data.h"

using namespace cdrl;

namespace {

constexpr int64_t kImages = 2000;

// All 32 attribute combinations, one per row.
torch::Tensor allCombinations() {
  auto a = torch::empty({32, kShapeAttributeCount}, torch::kLong);
  for (int64_t i = 0; i < 32; ++i) {
    for (int64_t k = 0; k < kShapeAttributeCount; ++k) a[i][k] = (i >> k) & 1;
  }
  return a;
}

}  // namespace

class TestShapes : public QObject {
  Q_OBJECT

 private Q_SLOTS:
  void datasetLayout();
  void attributesBalanced();
  void attributesIndependent();
  void detectorExact();
  void sameSeedSameImages();
  void flipOneAttribute();
  void drawShapePixels();
  void badArguments();
};

void TestShapes::datasetLayout() {
  const auto d = makeShapesDataset(50, 3);
  QCOMPARE(d.name, std::string("shapes"));
  QCOMPARE(d.data.sizes().vec(), (std::vector<int64_t>{50, 3, 32, 32}));
  QCOMPARE(d.data.scalar_type(), torch::kFloat);
  QVERIFY(d.data.min().item<float>() >= -1.0f && d.data.max().item<float>() <= 1.0f);
  QCOMPARE(d.attributes.sizes().vec(), (std::vector<int64_t>{50, 5}));
  QCOMPARE(d.attributes.scalar_type(), torch::kLong);
  QVERIFY((d.attributes.eq(0) | d.attributes.eq(1)).all().item<bool>());
  QCOMPARE(d.attribute_names,
           (std::vector<std::string>{"circle", "red", "large", "left", "dark_background"}));
  QCOMPARE(d.attribute_names, shapeAttributeNames());
  QVERIFY(!d.labels.defined());
  QVERIFY(!d.random_flip);
  QCOMPARE(d.shift, std::vector<double>{0});
  QCOMPARE(d.scale, std::vector<double>{1});
  QCOMPARE(d.exampleShape(), (std::vector<int64_t>{3, 32, 32}));
  QCOMPARE(makeShapesDataset(0, 3).size(), int64_t{0});
}

void TestShapes::attributesBalanced() {
  const auto d = makeShapesDataset(kImages, 11);
  const double se = std::sqrt(0.25 / kImages);
  const auto p = d.attributes.to(torch::kDouble).mean(0);
  for (int64_t k = 0; k < kShapeAttributeCount; ++k) {
    const double pk = p[k].item<double>();
    QVERIFY2(std::abs(pk - 0.5) < 4 * se,
             qPrintable(QString("%1: p = %2").arg(d.attribute_names[k].c_str()).arg(pk)));
  }
}

void TestShapes::attributesIndependent() {
  const auto d = makeShapesDataset(kImages, 12);
  const double se = std::sqrt(0.25 * 0.75 / kImages);
  const auto a = d.attributes;
  for (int64_t i = 0; i < kShapeAttributeCount; ++i) {
    for (int64_t j = i + 1; j < kShapeAttributeCount; ++j) {
      for (int vi = 0; vi < 2; ++vi) {
        for (int vj = 0; vj < 2; ++vj) {
          const auto cell = (a.select(1, i).eq(vi) & a.select(1, j).eq(vj));
          const double share = cell.to(torch::kDouble).mean().item<double>();
          QVERIFY2(std::abs(share - 0.25) < 4 * se,
                   qPrintable(QString("%1=%2, %3=%4: %5")
                                  .arg(d.attribute_names[i].c_str())
                                  .arg(vi)
                                  .arg(d.attribute_names[j].c_str())
                                  .arg(vj)
                                  .arg(share)));
        }
      }
    }
  }
}

void TestShapes::detectorExact() {
  for (uint64_t seed : {1u, 2u}) {
    const auto d = makeShapesDataset(kImages, seed);
    const auto found = detectShapeAttributes(d.data);
    QCOMPARE(found.scalar_type(), torch::kLong);
    QCOMPARE(found.sizes().vec(), (std::vector<int64_t>{kImages, 5}));
    const auto wrong = found.ne(d.attributes).sum(0);
    QVERIFY2(wrong.eq(0).all().item<bool>(), c10::str("mismatches per attribute ", wrong).c_str());
  }
  // Every combination at every jitter position (5 x 9 positions, reached by many draws).
  const auto all = allCombinations().repeat({40, 1});
  std::mt19937_64 rng(5);
  const auto images = drawShapes(all, rng);
  QVERIFY(torch::equal(detectShapeAttributes(images), all));
}

void TestShapes::sameSeedSameImages() {
  const auto a = makeShapesDataset(300, 42);
  const auto b = makeShapesDataset(300, 42);
  QVERIFY(torch::equal(a.data, b.data));
  QVERIFY(torch::equal(a.attributes, b.attributes));
  const auto c = makeShapesDataset(300, 43);
  QVERIFY(!torch::equal(a.attributes, c.attributes));
  QVERIFY(!torch::equal(a.data, c.data));
  // A longer data set starts with the shorter one's attributes.
  QVERIFY(torch::equal(makeShapesDataset(10, 42).attributes.view(-1),
                       a.attributes.view(-1).slice(0, 0, 10 * 5)));
}

void TestShapes::flipOneAttribute() {
  const auto base = allCombinations();
  std::mt19937_64 rng_base(9);
  const auto base_images = drawShapes(base, rng_base);
  const auto base_found = detectShapeAttributes(base_images);
  QVERIFY(torch::equal(base_found, base));
  for (int64_t k = 0; k < kShapeAttributeCount; ++k) {
    auto flipped = base.clone();
    flipped.select(1, k).fill_(1).sub_(base.select(1, k));
    std::mt19937_64 rng(9);  // the same jitter as the base images
    const auto images = drawShapes(flipped, rng);
    const auto found = detectShapeAttributes(images);
    auto expected_change = torch::zeros_like(base);
    expected_change.select(1, k).fill_(1);
    QVERIFY2(torch::equal(found.ne(base_found).to(torch::kLong), expected_change),
             shapeAttributeNames()[k].c_str());
    // Every image changed, somewhere.
    QVERIFY((images - base_images).abs().flatten(1).amax(1).gt(0.5).all().item<bool>());
  }
}

void TestShapes::drawShapePixels() {
  // A large red square on a dark background in the left half: pixel colours in BGR.
  std::mt19937_64 rng(1);
  const auto image = drawShape({0, 1, 1, 1, 1}, rng);
  QCOMPARE(image.type(), CV_8UC3);
  QCOMPARE(image.rows, 32);
  QCOMPARE(image.cols, 32);
  QCOMPARE(image.at<cv::Vec3b>(0, 0), cv::Vec3b(40, 40, 40));
  QCOMPARE(image.at<cv::Vec3b>(31, 31), cv::Vec3b(40, 40, 40));
  cv::Mat mask;
  cv::inRange(image, cv::Scalar(40, 40, 210), cv::Scalar(40, 40, 210), mask);
  QCOMPARE(cv::countNonZero(mask), 15 * 15);
  const auto box = cv::boundingRect(mask);
  QCOMPARE(box.width, 15);
  QVERIFY(box.x + box.width / 2 < 16);
  // A small blue circle on light grey to the right.
  const auto circle = drawShape({1, 0, 0, 0, 0}, rng);
  QCOMPARE(circle.at<cv::Vec3b>(0, 0), cv::Vec3b(215, 215, 215));
  cv::inRange(circle, cv::Scalar(210, 40, 40), cv::Scalar(210, 40, 40), mask);
  const auto circle_box = cv::boundingRect(mask);
  QCOMPARE(circle_box.width, 9);
  QCOMPARE(circle_box.height, 9);
  QVERIFY(circle_box.x >= 16);
  const double fill = cv::countNonZero(mask) / 81.0;
  QVERIFY2(fill > 0.5 && fill < 0.85, qPrintable(QString::number(fill)));
  // Exactly two draws per image, whatever the attributes.
  std::mt19937_64 a(3);
  std::mt19937_64 b(3);
  drawShape({1, 1, 1, 1, 1}, a);
  drawShape({0, 0, 0, 0, 0}, b);
  QCOMPARE(a(), b());
}

void TestShapes::badArguments() {
  std::mt19937_64 rng(1);
  QVERIFY_THROWS_EXCEPTION(std::invalid_argument, drawShape({1, 0, 1}, rng));
  QVERIFY_THROWS_EXCEPTION(std::invalid_argument, drawShape({1, 0, 2, 0, 0}, rng));
  QVERIFY_THROWS_EXCEPTION(std::invalid_argument,
                           drawShapes(torch::zeros({2, 4}, torch::kLong), rng));
  QVERIFY_THROWS_EXCEPTION(std::invalid_argument,
                           detectShapeAttributes(torch::zeros({2, 1, 32, 32})));
  QVERIFY_THROWS_EXCEPTION(std::invalid_argument, makeShapesDataset(-1, 0));
}

QTEST_APPLESS_MAIN(TestShapes)
#include "test_shapes.moc"
