// CIFAR-10 binary batches and CelebA, from small fixtures the tests write in the real layout.
#include "image_fixtures.h"

#include <QtTest>

using namespace fixtures;

class TestImageDatasets : public QObject {
  Q_OBJECT

 private Q_SLOTS:
  // CIFAR-10.
  void cifarTrain();
  void cifarTestAndNames();
  void cifarErrors_data();
  void cifarErrors();

  // CelebA.
  void celebaSplits();
  void celebaErrors_data();
  void celebaErrors();
};

void TestImageDatasets::cifarTrain() {
  const auto dir = test::tempDir("cifar-train");
  writeCifar(dir);
  const auto d = readCifar10(dir, Split::Train);
  QCOMPARE(d.name, std::string("cifar10"));
  QCOMPARE(d.data.sizes().vec(), (std::vector<int64_t>{10, 3, 32, 32}));
  QCOMPARE(d.data.scalar_type(), torch::kFloat);
  QCOMPARE(d.labels.scalar_type(), torch::kLong);
  QVERIFY(d.random_flip);
  QCOMPARE(d.class_names, cifar10ClassNames());
  QCOMPARE(d.class_names.front(), std::string("airplane"));
  QCOMPARE(d.class_names.back(), std::string("truck"));
  // The all-255 R plane is channel 0 = 1.0; G = -1; B = 128 / 127.5 - 1.
  QVERIFY(d.data[0][0].eq(1.0f).all().item<bool>());
  QVERIFY(d.data[0][1].eq(-1.0f).all().item<bool>());
  QVERIFY((d.data[0][2] - scaled(128)).abs().max().item<float>() < kTolerance);
  for (int k = 1; k <= 5; ++k) {
    for (int j = 0; j < 2; ++j) {
      const int i = 2 * (k - 1) + j;
      QCOMPARE(d.labels[i].item<int64_t>(), int64_t{cifarLabel(k, j)});
      QVERIFY2((d.data[i] - cifarExpected(k, j)).abs().max().item<float>() < kTolerance,
               qPrintable(QString("batch %1 record %2").arg(k).arg(j)));
    }
  }
  // A limit reads across batches in order.
  const auto first = readCifar10(dir, Split::Train, 3);
  QCOMPARE(first.size(), int64_t{3});
  QVERIFY(torch::equal(first.data, d.data.slice(0, 0, 3)));
  QVERIFY(torch::equal(first.labels, d.labels.slice(0, 0, 3)));
  QCOMPARE(readCifar10(dir, Split::Train, 0).size(), int64_t{0});
}

void TestImageDatasets::cifarTestAndNames() {
  const auto parent = test::tempDir("cifar-nested");
  const auto dir = parent + "/cifar-10-batches-bin";
  writeCifar(dir);
  std::string names;
  for (int c = 0; c < 10; ++c) names += "class" + std::to_string(c) + "\n";
  writeBytes(dir + "/batches.meta.txt", names + "\n\n");
  const auto d = readCifar10(parent, Split::Test);  // the parent of cifar-10-batches-bin works
  QCOMPARE(d.size(), int64_t{3});
  QCOMPARE(d.class_names.front(), std::string("class0"));
  QCOMPARE(d.class_names.back(), std::string("class9"));
  for (int j = 0; j < 3; ++j) {
    QCOMPARE(d.labels[j].item<int64_t>(), int64_t{cifarLabel(6, j)});
    QVERIFY((d.data[j] - cifarExpected(6, j)).abs().max().item<float>() < kTolerance);
  }
}

void TestImageDatasets::cifarErrors_data() {
  QTest::addColumn<QString>("kind");
  QTest::addColumn<QString>("message");
  QTest::newRow("truncated") << "truncated"
                             << "data_batch_3.bin: size 6046 bytes is not a multiple";
  QTest::newRow("bad label") << "label"
                             << "test_batch.bin: label 10 of record 1 is outside 0..9";
  QTest::newRow("missing batch") << "missing"
                                 << "data_batch_5.bin: not found";
  QTest::newRow("bad meta") << "meta"
                            << "batches.meta.txt: expected 10 class names";
}

void TestImageDatasets::cifarErrors() {
  QFETCH(QString, kind);
  QFETCH(QString, message);
  const auto dir = test::tempDir("cifar-error-" + kind);
  writeCifar(dir);
  const Split split = kind == "label" ? Split::Test : Split::Train;
  if (kind == "truncated") {
    fs::resize_file(dir + "/data_batch_3.bin", 2 * 3073 - 100);
  }
  if (kind == "label") {
    auto bytes = cifarBatch(6, 3);
    bytes[3073] = 10;
    writeBytes(dir + "/test_batch.bin", bytes);
  }
  if (kind == "missing") fs::remove(dir + "/data_batch_5.bin");
  if (kind == "meta") writeBytes(dir + "/batches.meta.txt", "a\nb\n");
  const auto error = errorOf([&] { readCifar10(dir, split); });
  QVERIFY2(contains(error, message.toStdString()), error.c_str());
  QVERIFY2(contains(error, dir), error.c_str());
  // A bad later batch is reported even when a limit would not reach it.
  if (kind == "truncated") QVERIFY(!errorOf([&] { readCifar10(dir, split, 1); }).empty());
}

void TestImageDatasets::celebaSplits() {
  const auto root = writeCeleb("celeba");
  LoadReport report;
  const auto train = readCelebA(root, Split::Train, ImageLoadOptions{}, &report);
  QCOMPARE(train.name, std::string("celeba"));
  QCOMPARE(report.loaded, int64_t{2});
  QCOMPARE(report.skipped, int64_t{1});
  QVERIFY2(contains(report.example_skipped, "000003.jpg"), report.example_skipped.c_str());
  QCOMPARE(train.data.sizes().vec(), (std::vector<int64_t>{2, 3, 32, 32}));
  QCOMPARE(train.attributes.scalar_type(), torch::kLong);
  QCOMPARE(train.attributes.sizes().vec(), (std::vector<int64_t>{2, 40}));
  QCOMPARE(train.attribute_names.size(), size_t{40});
  QCOMPARE(train.attribute_names.front(), std::string("Attr_0"));
  QCOMPARE(train.attribute_names.back(), std::string("Attr_39"));
  QVERIFY(train.random_flip);
  QVERIFY(!train.labels.defined());
  const auto check = [](const Dataset& d, const std::vector<int>& images) {
    for (size_t n = 0; n < images.size(); ++n) {
      const int i = images[n];
      for (int a = 0; a < kCelebAttributes; ++a) {
        QCOMPARE(d.attributes[n][a].item<int64_t>(), int64_t{(i + a) % 3 == 0 ? 1 : 0});
      }
      QVERIFY(distanceTo(d.data[n], {scaled(40 * i), scaled(100), scaled(250 - 40 * i)}) <
              kJpegTolerance);
    }
  };
  check(train, {1, 2});
  const auto test = readCelebA(root, Split::Test, ImageLoadOptions{}, &report);
  QCOMPARE(report.loaded, int64_t{2});
  QCOMPARE(report.skipped, int64_t{0});
  check(test, {5, 6});
  ImageLoadOptions options;
  options.limit = 1;
  options.size = 8;
  const auto one = readCelebA(root, Split::Test, options);
  QCOMPARE(one.data.sizes().vec(), (std::vector<int64_t>{1, 3, 8, 8}));
  QCOMPARE(one.attributes.sizes().vec(), (std::vector<int64_t>{1, 40}));
  check(one, {5});
}

void TestImageDatasets::celebaErrors_data() {
  QTest::addColumn<QString>("kind");
  QTest::addColumn<QString>("message");
  QTest::newRow("short line") << "short"
                              << "list_attr_celeba.txt:5: expected '<file>' and 40 values";
  QTest::newRow("bad value") << "value"
                             << "list_attr_celeba.txt:4: attribute Attr_7 is '2'";
  QTest::newRow("bad count") << "count"
                             << "list_attr_celeba.txt: line 1 declares 7 images but 6";
  QTest::newRow("count not a number") << "header"
                                      << "list_attr_celeba.txt:1: expected the image count";
  QTest::newRow("missing attr") << "no attr"
                                << "list_attr_celeba.txt: cannot open";
  QTest::newRow("missing partition") << "no partition"
                                     << "list_eval_partition.txt: cannot open";
  QTest::newRow("bad partition") << "partition"
                                 << "list_eval_partition.txt:2: expected '<file> 0|1|2'";
  QTest::newRow("unlisted image") << "unlisted"
                                  << "list_attr_celeba.txt: no attributes for 000009.jpg";
  QTest::newRow("no images") << "no images"
                             << "img_align_celeba: folder not found";
  QTest::newRow("none readable") << "unreadable"
                                 << "none of the 3 images of the split could be read";
}

void TestImageDatasets::celebaErrors() {
  QFETCH(QString, kind);
  QFETCH(QString, message);
  const auto root = writeCeleb("celeba-error-" + kind);
  const auto attr = root + "/list_attr_celeba.txt";
  const auto partition = root + "/list_eval_partition.txt";
  std::string names;
  for (int a = 0; a < kCelebAttributes; ++a) names += "Attr_" + std::to_string(a) + " ";
  std::string lines;
  for (int i = 1; i <= 6; ++i) lines += celebAttrLine(i);
  if (kind == "short") {
    auto bad = celebAttrLine(3);
    bad = bad.substr(0, bad.size() - 4) + "\n";  // drop the last value
    writeBytes(attr, "6\n" + names + "\n" + celebAttrLine(1) + celebAttrLine(2) + bad +
                         celebAttrLine(4) + celebAttrLine(5) + celebAttrLine(6));
  }
  if (kind == "value") {
    auto bad = celebAttrLine(2);
    bad.replace(bad.find(' ', 10 + 7 * 3), 3, "  2");  // value 8, Attr_7
    writeBytes(attr, "6\n" + names + "\n" + celebAttrLine(1) + bad + celebAttrLine(3) +
                         celebAttrLine(4) + celebAttrLine(5) + celebAttrLine(6));
  }
  if (kind == "count") writeBytes(attr, "7\n" + names + "\n" + lines);
  if (kind == "header") writeBytes(attr, "six\n" + names + "\n" + lines);
  if (kind == "no attr") fs::remove(attr);
  if (kind == "no partition") fs::remove(partition);
  if (kind == "partition") writeBytes(partition, "000001.jpg 0\n000002.jpg train\n");
  if (kind == "unlisted") writeBytes(partition, "000001.jpg 0\n000009.jpg 0\n");
  if (kind == "no images") fs::remove_all(root + "/img_align_celeba");
  if (kind == "unreadable") {
    for (int i : {1, 2}) fs::remove(root + "/img_align_celeba/" + celebFile(i));
  }
  const auto error = errorOf([&] { readCelebA(root, Split::Train, ImageLoadOptions{}); });
  QVERIFY2(contains(error, message.toStdString()), error.c_str());
  QVERIFY2(contains(error, root), error.c_str());
}

QTEST_APPLESS_MAIN(TestImageDatasets)
#include "test_image_datasets.moc"
