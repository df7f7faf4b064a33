// Fashion-MNIST IDX files: the system's copy and fixtures, valid and broken.
#include "data_fixtures.h"

#include <QtTest>

using namespace fixtures;

class TestFashionMnist : public QObject {
  Q_OBJECT

 private Q_SLOTS:
  void initTestCase() { QVERIFY(QDir().mkpath(QString(CDRL_TEST_TMP) + "/test_data")); }

  // Fashion-MNIST.
  void fashionDefaultDir();
  void fashionRealTestSplit();
  void fashionFixtureValid_data();
  void fashionFixtureValid();
  void fashionFixtureErrors_data();
  void fashionFixtureErrors();
};

void TestFashionMnist::fashionDefaultDir() {
  const char* saved = std::getenv("CDRL_FASHION_MNIST_DIR");
  const std::string previous = saved ? saved : "";
  ::unsetenv("CDRL_FASHION_MNIST_DIR");
  QCOMPARE(defaultFashionMnistDir(), std::string("/usr/share/datasets/fashion-mnist"));
  ::setenv("CDRL_FASHION_MNIST_DIR", "/elsewhere", 1);
  QCOMPARE(defaultFashionMnistDir(), std::string("/elsewhere"));
  if (saved) {
    ::setenv("CDRL_FASHION_MNIST_DIR", previous.c_str(), 1);
  } else {
    ::unsetenv("CDRL_FASHION_MNIST_DIR");
  }
}

void TestFashionMnist::fashionRealTestSplit() {
  const auto dir = defaultFashionMnistDir();
  if (!std::filesystem::exists(std::filesystem::path(dir) / "t10k-images-idx3-ubyte.gz")) {
    QSKIP("Fashion-MNIST not installed");
  }
  const auto d = readFashionMnist(dir, Split::Test);
  QCOMPARE(d.name, std::string("fashion-mnist"));
  QCOMPARE(d.data.sizes().vec(), (std::vector<int64_t>{10000, 1, 28, 28}));
  QCOMPARE(d.data.scalar_type(), torch::kFloat);
  QCOMPARE(d.data.min().item<float>(), -1.0f);
  QCOMPARE(d.data.max().item<float>(), 1.0f);
  QCOMPARE(d.labels.scalar_type(), torch::kLong);
  QCOMPARE(d.labels.sizes().vec(), (std::vector<int64_t>{10000}));
  QVERIFY(d.labels.min().item<int64_t>() >= 0 && d.labels.max().item<int64_t>() <= 9);
  QVERIFY(torch::bincount(d.labels).eq(1000).all().item<bool>());
  QCOMPARE(d.class_names.size(), size_t{10});
  QCOMPARE(d.class_names.front(), std::string("T-shirt/top"));
  QCOMPARE(d.class_names.back(), std::string("Ankle boot"));
  QCOMPARE(d.shift, std::vector<double>{0});
  QCOMPARE(d.scale, std::vector<double>{1});
  QVERIFY(!d.random_flip);
  QCOMPARE(d.exampleShape(), (std::vector<int64_t>{1, 28, 28}));

  const auto first = readFashionMnist(dir, Split::Test, 5);
  QCOMPARE(first.size(), int64_t{5});
  QVERIFY(torch::equal(first.data, d.data.slice(0, 0, 5)));
  QVERIFY(torch::equal(first.labels, d.labels.slice(0, 0, 5)));
  const auto train = readFashionMnist(dir, Split::Train, 3);
  QCOMPARE(train.data.sizes().vec(), (std::vector<int64_t>{3, 1, 28, 28}));
  QCOMPARE(readFashionMnist(dir, Split::Test, 0).size(), int64_t{0});
}

void TestFashionMnist::fashionFixtureValid_data() {
  QTest::addColumn<bool>("gzip");
  QTest::addColumn<int>("limit");
  QTest::newRow("gz") << true << -1;
  QTest::newRow("plain") << false << -1;
  QTest::newRow("gz, limit 2") << true << 2;
  QTest::newRow("limit beyond count") << false << 10;
}

void TestFashionMnist::fashionFixtureValid() {
  QFETCH(bool, gzip);
  QFETCH(int, limit);
  const auto dir = tmpPath(gzip ? "idx-valid-gz" : "idx-valid-plain");
  std::filesystem::remove_all(dir);
  const auto images = idxBytes(2051, {4, 28, 28}, imageBody(4));
  const auto labels = idxBytes(2049, {4}, labelBody(4));
  if (gzip) {
    writeGz(dir + "/train-images-idx3-ubyte.gz", images);
    writeGz(dir + "/train-labels-idx1-ubyte.gz", labels);
  } else {
    writeText(dir + "/train-images-idx3-ubyte", images);
    writeText(dir + "/train-labels-idx1-ubyte", labels);
  }
  const auto d = readFashionMnist(dir, Split::Train, limit);
  const int64_t n = limit < 0 ? 4 : std::min(limit, 4);
  QCOMPARE(d.size(), n);
  for (int64_t i = 0; i < n; ++i) {
    const float expected = static_cast<float>(40 * i / 127.5 - 1);
    QVERIFY((d.data[i] - expected).abs().max().item<float>() < 1e-6f);
    QCOMPARE(d.labels[i].item<int64_t>(), (3 * i) % 10);
  }
}

void TestFashionMnist::fashionFixtureErrors_data() {
  QTest::addColumn<QString>("name");
  QTest::addColumn<QString>("message");
  QTest::newRow("wrong magic") << "magic"
                               << "train-images-idx3-ubyte.gz: bad IDX magic";
  QTest::newRow("truncated idx") << "short"
                                 << "train-images-idx3-ubyte.gz: truncated";
  QTest::newRow("truncated gzip") << "cut"
                                  << "train-images-idx3-ubyte.gz: truncated";
  QTest::newRow("trailing bytes") << "long"
                                  << "train-labels-idx1-ubyte.gz: unexpected bytes";
  QTest::newRow("bad size") << "size"
                            << "train-images-idx3-ubyte.gz: images are 28x27";
  QTest::newRow("bad label") << "label"
                             << "train-labels-idx1-ubyte.gz: label 12";
  QTest::newRow("count mismatch") << "count"
                                  << "holds 3 images but";
  QTest::newRow("missing") << "missing"
                           << "train-labels-idx1-ubyte.gz: not found";
}

void TestFashionMnist::fashionFixtureErrors() {
  QFETCH(QString, name);
  QFETCH(QString, message);
  const auto dir = tmpPath("idx-" + name.toStdString());
  std::filesystem::remove_all(dir);
  const auto images_path = dir + "/train-images-idx3-ubyte.gz";
  const auto labels_path = dir + "/train-labels-idx1-ubyte.gz";
  auto images = idxBytes(2051, {3, 28, 28}, imageBody(3));
  auto labels = idxBytes(2049, {3}, labelBody(3));
  if (name == "magic") images = idxBytes(2050, {3, 28, 28}, imageBody(3));
  if (name == "short") images = idxBytes(2051, {5, 28, 28}, imageBody(3));
  if (name == "long") labels += "xyz";
  if (name == "size") images = idxBytes(2051, {3, 28, 27}, imageBody(3));
  if (name == "label") labels = idxBytes(2049, {3}, std::string("\x01\x0c\x02", 3));
  if (name == "count") labels = idxBytes(2049, {4}, labelBody(4));
  writeGz(images_path, images);
  if (name != "missing") writeGz(labels_path, labels);
  if (name == "cut") {
    std::filesystem::resize_file(images_path, std::filesystem::file_size(images_path) / 2);
  }
  const auto error = errorOf([&] { readFashionMnist(dir, Split::Train); });
  QVERIFY2(contains(error, message.toStdString()), error.c_str());
  QVERIFY2(contains(error, dir), error.c_str());
}

QTEST_APPLESS_MAIN(TestFashionMnist)
#include "test_fashion_mnist.moc"
