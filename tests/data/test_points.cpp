// 2-D point data: the five toy shapes (each checked by a statistic the others fail) and point CSV
// files.
#include "data_fixtures.h"

#include <QtTest>

using namespace fixtures;

class TestPoints : public QObject {
  Q_OBJECT

 private Q_SLOTS:
  void initTestCase() { QVERIFY(QDir().mkpath(QString(CDRL_TEST_TMP) + "/test_data")); }

  // Toy shapes.
  void toyNames();
  void toyShapes_data();
  void toyShapes();
  void toyDataset();

  // Point CSV.
  void csvParse_data();
  void csvParse();
  void csvConstantColumn();
  void csvRoundTrip();
  void csvErrors_data();
  void csvErrors();
};

void TestPoints::toyNames() {
  const auto names = toyShapeNames();
  QCOMPARE(names.size(), size_t{5});
  for (const auto& name : names) QCOMPARE(toString(toyShapeFromString(name)), name);
  QCOMPARE(toString(ToyShape::EightGaussians), std::string("8gaussians"));
  const auto message = errorOf([] { toyShapeFromString("spiral"); });
  QVERIFY(contains(message, "spiral") && contains(message, "checkerboard") &&
          contains(message, "rings"));
  QVERIFY_THROWS_EXCEPTION(std::invalid_argument, toyShapeFromString("Moons"));
}

void TestPoints::toyShapes_data() {
  QTest::addColumn<ToyShape>("shape");
  QTest::newRow("8gaussians") << ToyShape::EightGaussians;
  QTest::newRow("checkerboard") << ToyShape::Checkerboard;
  QTest::newRow("moons") << ToyShape::TwoMoons;
  QTest::newRow("swissroll") << ToyShape::SwissRoll;
  QTest::newRow("rings") << ToyShape::Rings;
}

void TestPoints::toyShapes() {
  QFETCH(ToyShape, shape);
  const auto p = sampleToy(shape, kToyPoints, seeded(7));
  QCOMPARE(p.sizes().vec(), (std::vector<int64_t>{kToyPoints, 2}));
  QCOMPARE(p.scalar_type(), torch::kFloat);
  QVERIFY(p.isfinite().all().item<bool>());
  QVERIFY(p.abs().max().item<float>() <= 1.0f);
  QVERIFY(torch::equal(p, sampleToy(shape, kToyPoints, seeded(7))));
  QVERIFY(!torch::equal(p, sampleToy(shape, kToyPoints, seeded(8))));
  switch (shape) {
    case ToyShape::EightGaussians:
      checkEightGaussians(p);
      break;
    case ToyShape::Checkerboard:
      checkCheckerboard(p);
      break;
    case ToyShape::TwoMoons:
      checkMoons(p);
      break;
    case ToyShape::SwissRoll:
      checkSwissRoll(p);
      break;
    case ToyShape::Rings:
      checkRings(p);
      break;
  }
}

void TestPoints::toyDataset() {
  const auto d = makeToyDataset(ToyShape::Rings, 100, 3);
  QCOMPARE(d.name, std::string("toy:rings"));
  QCOMPARE(d.size(), int64_t{100});
  QCOMPARE(d.shift, (std::vector<double>{0, 0}));
  QCOMPARE(d.scale, (std::vector<double>{1, 1}));
  QVERIFY(!d.labels.defined());
  QVERIFY(torch::equal(d.data, makeToyDataset(ToyShape::Rings, 100, 3).data));
  QVERIFY(torch::equal(d.data, sampleToy(ToyShape::Rings, 100, seeded(3))));
}

void TestPoints::csvParse_data() {
  QTest::addColumn<QString>("text");
  // Every row holds the points (1, 2), (3, 6), (-1, 4): shift (1, 4), scale (2, 2).
  QTest::newRow("header") << "x,y\n1,2\n3,6\n-1,4\n";
  QTest::newRow("no header") << "1,2\n3,6\n-1,4";
  QTest::newRow("other header") << "  px , py \n1,2\n3,6\n-1,4\n";
  QTest::newRow("spaces, blanks, CRLF") << "\n  1 , 2 \r\n\r\n\t3,\t6e0\r\n  \n-1.0,+4\r\n";
}

void TestPoints::csvParse() {
  QFETCH(QString, text);
  const auto path = tmpPath("parse.csv");
  writeText(path, text.toStdString());
  const auto d = readPointCsv(path);
  QCOMPARE(d.name, "csv:" + path);
  QCOMPARE(d.shift, (std::vector<double>{1, 4}));
  QCOMPARE(d.scale, (std::vector<double>{2, 2}));
  const auto expected = torch::tensor({0.0f, -1.0f, 1.0f, 1.0f, -1.0f, 0.0f}).view({3, 2});
  QVERIFY(torch::equal(d.data, expected));
  QVERIFY(!d.labels.defined());
}

void TestPoints::csvConstantColumn() {
  const auto path = tmpPath("constant.csv");
  writeText(path, "5,-3\n5,7\n5,2\n");
  const auto d = readPointCsv(path);
  QCOMPARE(d.shift, (std::vector<double>{5, 2}));
  QCOMPARE(d.scale, (std::vector<double>{1, 5}));
  QVERIFY(d.data.select(1, 0).eq(0).all().item<bool>());
  QCOMPARE(d.data.select(1, 1).min().item<float>(), -1.0f);
  QCOMPARE(d.data.select(1, 1).max().item<float>(), 1.0f);
}

void TestPoints::csvRoundTrip() {
  const std::vector<double> shift = {100.25, -5};
  const std::vector<double> scale = {12.5, 0.001};
  const auto points = sampleToy(ToyShape::TwoMoons, 500, seeded(11));
  const auto path = tmpPath("roundtrip.csv");
  writePointCsv(path, points, shift, scale);
  std::ifstream in(path);
  std::string header;
  std::getline(in, header);
  QCOMPARE(header, std::string("x,y"));
  const auto d = readPointCsv(path);
  QCOMPARE(d.size(), int64_t{500});
  const auto to_user = [](const torch::Tensor& p, const std::vector<double>& sh,
                          const std::vector<double>& sc) {
    const auto p64 = p.to(torch::kDouble);
    return p64 * torch::tensor(sc, torch::kDouble) + torch::tensor(sh, torch::kDouble);
  };
  const auto written = to_user(points, shift, scale);
  const auto read_back = to_user(d.data, d.shift, d.scale);
  // Only float32 rounding of the re-normalised data stands between the two.
  const auto tolerance = torch::tensor(scale, torch::kDouble) * 1e-6;
  QVERIFY((written - read_back).abs().le(tolerance).all().item<bool>());
  QCOMPARE(d.data.abs().max().item<float>(), 1.0f);
}

void TestPoints::csvErrors_data() {
  QTest::addColumn<QString>("text");
  QTest::addColumn<QString>("message");
  QTest::newRow("bad line") << "x,y\n1,2\n\n3,4\nfoo\n"
                            << ":5: expected two numbers 'x,y'";
  QTest::newRow("three fields") << "1,2\n3,4,5\n"
                                << ":2: expected two numbers";
  QTest::newRow("one field") << "1,2\n3\n"
                             << ":2: expected two numbers";
  QTest::newRow("half numeric") << "1,abc\n3,4\n"
                                << ":1: expected two numbers";
  QTest::newRow("late header") << "1,2\nx,y\n3,4\n"
                               << ":2: expected two numbers";
  QTest::newRow("nan") << "1,2\n3,nan\n"
                       << ":2: non-finite";
  QTest::newRow("inf") << "1,2\n-inf,4\n"
                       << ":2: non-finite";
  QTest::newRow("overflow") << "1,2\n1e999,4\n"
                            << ":2: non-finite";
  QTest::newRow("empty") << ""
                         << "empty";
  QTest::newRow("blank only") << "\n  \n"
                              << "empty";
  QTest::newRow("header only") << "x,y\n"
                               << "empty";
  QTest::newRow("one point") << "x,y\n1,2\n"
                             << "at least 2 points";
}

void TestPoints::csvErrors() {
  QFETCH(QString, text);
  QFETCH(QString, message);
  const auto path = tmpPath("bad.csv");
  writeText(path, text.toStdString());
  const auto error = errorOf([&] { readPointCsv(path); });
  QVERIFY2(contains(error, path), error.c_str());
  QVERIFY2(contains(error, message.toStdString()), error.c_str());
  QVERIFY_THROWS_EXCEPTION(std::runtime_error, readPointCsv(path));
  const auto missing = errorOf([] { readPointCsv(tmpPath("no-such.csv")); });
  QVERIFY(contains(missing, "no-such.csv"));
}

QTEST_APPLESS_MAIN(TestPoints)
#include "test_points.moc"
