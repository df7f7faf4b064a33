// Data sets and image export: toy shapes, point CSV files, Fashion-MNIST IDX files, PNG output.
#include <ATen/CPUGeneratorImpl.h>
#include <zlib.h>
#include <opencv2/imgcodecs.hpp>

#include <QDir>
#include <QFile>
#include "test_support.h"

#include <QtTest>

#include <cmath>
#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <functional>
#include <vector>

#include "fashion_mnist.h"
#include "image_io.h"
#include "point_csv.h"
#include "toy_data.h"

using namespace cdrl;

Q_DECLARE_METATYPE(cdrl::ToyShape)

namespace {

constexpr double kPi = 3.14159265358979323846;
constexpr int64_t kToyPoints = 4000;

torch::Generator seeded(uint64_t seed) { return at::make_generator<at::CPUGeneratorImpl>(seed); }

std::string tmpPath(const std::string& name) {
  return (std::filesystem::path(CDRL_TEST_TMP) / "test_data" / name).string();
}

void writeText(const std::string& path, const std::string& text) {
  std::filesystem::create_directories(std::filesystem::path(path).parent_path());
  std::ofstream(path, std::ios::binary) << text;
}

using cdrl::test::contains;
using cdrl::test::errorOf;

torch::Tensor radiusOf(const torch::Tensor& p) { return p.norm(2, /*dim=*/1); }

// Minimum over `centres` of |value - centre|, elementwise.
torch::Tensor distanceToNearest(const torch::Tensor& value, const std::vector<double>& centres) {
  auto best = torch::full_like(value, 1e9);
  for (double c : centres) best = torch::minimum(best, (value - c).abs());
  return best;
}

// --- Per-shape statistical checks; each would fail for a different shape. --------------------

void checkEightGaussians(const torch::Tensor& p) {
  const auto k = torch::arange(8, torch::kFloat) * (kPi / 4);
  const auto centres = torch::stack({torch::cos(k), torch::sin(k)}, 1) * 0.75;
  const auto distance = torch::cdist(p, centres);  // [n, 8]
  const auto [nearest, which] = distance.min(1);
  QVERIFY2(nearest.max().item<float>() < 0.2, "a point is not within 0.2 of any centre");
  const auto counts = torch::bincount(which, {}, 8);
  const int64_t expected = p.size(0) / 8;
  QVERIFY2((counts - expected).abs().max().item<int64_t>() < 100, "centres are unevenly used");
}

void checkCheckerboard(const torch::Tensor& p) {
  const auto col = torch::floor(p.select(1, 0) * 2).to(torch::kLong);  // -2..1
  const auto row = torch::floor(p.select(1, 1) * 2).to(torch::kLong);
  QVERIFY2(torch::remainder(col + row, 2).eq(0).all().item<bool>(), "a point in an empty cell");
  const auto counts = torch::bincount((row + 2) * 4 + (col + 2), {}, 16);
  const int64_t expected = p.size(0) / 8;
  for (int cell = 0; cell < 16; ++cell) {
    const bool occupied = ((cell / 4) + (cell % 4)) % 2 == 0;
    const int64_t count = counts[cell].item<int64_t>();
    QVERIFY2(occupied ? std::abs(count - expected) < 100 : count == 0, "uneven board");
  }
}

int64_t countIn(const torch::Tensor& p, double x_lo, double x_hi, double y_lo, double y_hi) {
  const auto x = p.select(1, 0);
  const auto y = p.select(1, 1);
  return (x.gt(x_lo) & x.lt(x_hi) & y.gt(y_lo) & y.lt(y_hi)).sum().item<int64_t>();
}

// Two arcs of radius 0.6 centred on (-0.3, -0.15) and (0.3, 0.15): the cloud is centred, spans
// about +-0.9 by +-0.45, and the origin and two opposite corners are empty.
void checkMoons(const torch::Tensor& p) {
  QVERIFY(p.mean(0).abs().max().item<float>() < 0.05);
  const auto lo = std::get<0>(p.min(0));
  const auto hi = std::get<0>(p.max(0));
  QVERIFY(lo[0].item<float>() < -0.85 && lo[0].item<float>() > -1.0);
  QVERIFY(hi[0].item<float>() > 0.85 && hi[0].item<float>() < 1.0);
  QVERIFY(lo[1].item<float>() < -0.4 && lo[1].item<float>() > -0.6);
  QVERIFY(hi[1].item<float>() > 0.4 && hi[1].item<float>() < 0.6);
  QCOMPARE(countIn(p, -0.1, 0.1, -0.1, 0.1), 0);
  QCOMPARE(countIn(p, 0.5, 1, 0.3, 1), 0);
  QCOMPARE(countIn(p, -1, -0.5, -1, -0.3), 0);
}

// r = 0.2 t / pi with angle t: the radius minus 0.2 phi / pi is a multiple of 0.4 (one turn).
void checkSwissRoll(const torch::Tensor& p) {
  const auto r = radiusOf(p);
  QVERIFY(r.min().item<float>() > 0.2 && r.max().item<float>() < 1.0);
  QVERIFY(std::abs(r.mean().item<float>() - 0.6) < 0.03);
  const auto phi = torch::atan2(p.select(1, 1), p.select(1, 0));
  const auto offset = torch::remainder(r - phi * (0.2 / kPi), 0.4);
  const auto off_arm = torch::minimum(offset, 0.4 - offset);
  QVERIFY2(off_arm.max().item<float>() < 0.1, "a point lies between the arms of the spiral");
}

void checkRings(const torch::Tensor& p) {
  const std::vector<double> radii = {0.25, 0.5, 0.75};
  const auto r = radiusOf(p);
  QVERIFY2(distanceToNearest(r, radii).max().item<float>() < 0.125, "a point between rings");
  for (double ring : radii) {
    const int64_t count = (r - ring).abs().lt(0.125).sum().item<int64_t>();
    QVERIFY2(std::abs(count - p.size(0) / 3) < 150, "rings are unevenly used");
  }
}

// --- IDX fixtures. ----------------------------------------------------------------------------

void putBigEndian(std::string& out, uint32_t v) {
  for (int shift = 24; shift >= 0; shift -= 8) out.push_back(static_cast<char>((v >> shift) & 255));
}

std::string idxBytes(uint32_t magic, const std::vector<uint32_t>& dims, const std::string& body) {
  std::string out;
  putBigEndian(out, magic);
  for (auto d : dims) putBigEndian(out, d);
  return out + body;
}

void writeGz(const std::string& path, const std::string& bytes) {
  std::filesystem::create_directories(std::filesystem::path(path).parent_path());
  gzFile f = gzopen(path.c_str(), "wb");
  QVERIFY(f != nullptr);
  QCOMPARE(gzwrite(f, bytes.data(), static_cast<unsigned>(bytes.size())),
           static_cast<int>(bytes.size()));
  QCOMPARE(gzclose(f), Z_OK);
}

// Image i is filled with byte 40 * i; label i is (3 * i) % 10.
std::string imageBody(int n) {
  std::string body;
  for (int i = 0; i < n; ++i) body.append(28 * 28, static_cast<char>(40 * i));
  return body;
}
std::string labelBody(int n) {
  std::string body;
  for (int i = 0; i < n; ++i) body.push_back(static_cast<char>((3 * i) % 10));
  return body;
}

}  // namespace

class TestData : public QObject {
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

  // Fashion-MNIST.
  void fashionDefaultDir();
  void fashionRealTestSplit();
  void fashionFixtureValid_data();
  void fashionFixtureValid();
  void fashionFixtureErrors_data();
  void fashionFixtureErrors();

  // Images.
  void imageGridGrey();
  void imageGridColour();
  void writeImageFilesPerImage();
  void writePngMissingFolder();
  void scatterPlotPng();
};

void TestData::toyNames() {
  const auto names = toyShapeNames();
  QCOMPARE(names.size(), size_t{5});
  for (const auto& name : names) QCOMPARE(toString(toyShapeFromString(name)), name);
  QCOMPARE(toString(ToyShape::EightGaussians), std::string("8gaussians"));
  const auto message = errorOf([] { toyShapeFromString("spiral"); });
  QVERIFY(contains(message, "spiral") && contains(message, "checkerboard") &&
          contains(message, "rings"));
  QVERIFY_THROWS_EXCEPTION(std::invalid_argument, toyShapeFromString("Moons"));
}

void TestData::toyShapes_data() {
  QTest::addColumn<ToyShape>("shape");
  QTest::newRow("8gaussians") << ToyShape::EightGaussians;
  QTest::newRow("checkerboard") << ToyShape::Checkerboard;
  QTest::newRow("moons") << ToyShape::TwoMoons;
  QTest::newRow("swissroll") << ToyShape::SwissRoll;
  QTest::newRow("rings") << ToyShape::Rings;
}

void TestData::toyShapes() {
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

void TestData::toyDataset() {
  const auto d = makeToyDataset(ToyShape::Rings, 100, 3);
  QCOMPARE(d.name, std::string("toy:rings"));
  QCOMPARE(d.size(), int64_t{100});
  QCOMPARE(d.shift, (std::vector<double>{0, 0}));
  QCOMPARE(d.scale, (std::vector<double>{1, 1}));
  QVERIFY(!d.labels.defined());
  QVERIFY(torch::equal(d.data, makeToyDataset(ToyShape::Rings, 100, 3).data));
  QVERIFY(torch::equal(d.data, sampleToy(ToyShape::Rings, 100, seeded(3))));
}

void TestData::csvParse_data() {
  QTest::addColumn<QString>("text");
  // Every row holds the points (1, 2), (3, 6), (-1, 4): shift (1, 4), scale (2, 2).
  QTest::newRow("header") << "x,y\n1,2\n3,6\n-1,4\n";
  QTest::newRow("no header") << "1,2\n3,6\n-1,4";
  QTest::newRow("other header") << "  px , py \n1,2\n3,6\n-1,4\n";
  QTest::newRow("spaces, blanks, CRLF") << "\n  1 , 2 \r\n\r\n\t3,\t6e0\r\n  \n-1.0,+4\r\n";
}

void TestData::csvParse() {
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

void TestData::csvConstantColumn() {
  const auto path = tmpPath("constant.csv");
  writeText(path, "5,-3\n5,7\n5,2\n");
  const auto d = readPointCsv(path);
  QCOMPARE(d.shift, (std::vector<double>{5, 2}));
  QCOMPARE(d.scale, (std::vector<double>{1, 5}));
  QVERIFY(d.data.select(1, 0).eq(0).all().item<bool>());
  QCOMPARE(d.data.select(1, 1).min().item<float>(), -1.0f);
  QCOMPARE(d.data.select(1, 1).max().item<float>(), 1.0f);
}

void TestData::csvRoundTrip() {
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

void TestData::csvErrors_data() {
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

void TestData::csvErrors() {
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

void TestData::fashionDefaultDir() {
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

void TestData::fashionRealTestSplit() {
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

void TestData::fashionFixtureValid_data() {
  QTest::addColumn<bool>("gzip");
  QTest::addColumn<int>("limit");
  QTest::newRow("gz") << true << -1;
  QTest::newRow("plain") << false << -1;
  QTest::newRow("gz, limit 2") << true << 2;
  QTest::newRow("limit beyond count") << false << 10;
}

void TestData::fashionFixtureValid() {
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

void TestData::fashionFixtureErrors_data() {
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

void TestData::fashionFixtureErrors() {
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

void TestData::imageGridGrey() {
  // Three 4x5 constant images, -2 (clipped to -1), 0 and 0.5, in 2 columns, padding 2,
  // upscale 2: tiles are 8x10 and the grid is 2 * 8 + 3 * 2 = 22 rows by 2 * 10 + 3 * 2 = 26.
  const auto images = torch::stack(
      {torch::full({1, 4, 5}, -2.0), torch::zeros({1, 4, 5}), torch::full({1, 4, 5}, 0.5)});
  const auto grid = toImageGrid(images, /*columns=*/2, /*padding=*/2, /*upscale=*/2);
  QCOMPARE(grid.type(), CV_8UC1);
  QCOMPARE(grid.rows, 22);
  QCOMPARE(grid.cols, 26);
  const auto at = [&](int row, int col) { return static_cast<int>(grid.at<uint8_t>(row, col)); };
  QCOMPARE(at(2, 2), 0);      // image 0, first pixel
  QCOMPARE(at(9, 11), 0);     // image 0, last pixel
  QCOMPARE(at(2, 14), 128);   // image 1
  QCOMPARE(at(9, 23), 128);   // image 1, last pixel
  QCOMPARE(at(12, 2), 191);   // image 2: round(1.5 * 127.5)
  QCOMPARE(at(0, 0), 255);    // outer padding
  QCOMPARE(at(5, 12), 255);   // padding between columns
  QCOMPARE(at(10, 5), 255);   // padding between rows
  QCOMPARE(at(12, 14), 255);  // the empty cell after the last image
  QCOMPARE(at(21, 25), 255);
}

void TestData::imageGridColour() {
  // One 2x2 RGB image with R = 1, G = 0, B = -1 comes out as BGR (0, 128, 255).
  const auto image =
      torch::stack({torch::ones({2, 2}), torch::zeros({2, 2}), -torch::ones({2, 2})}).unsqueeze(0);
  const auto grid = toImageGrid(image, /*columns=*/4, /*padding=*/1);
  QCOMPARE(grid.type(), CV_8UC3);
  QCOMPARE(grid.rows, 4);
  QCOMPARE(grid.cols, 4);
  QCOMPARE(grid.at<cv::Vec3b>(1, 1), cv::Vec3b(0, 128, 255));
  QCOMPARE(grid.at<cv::Vec3b>(2, 2), cv::Vec3b(0, 128, 255));
  QCOMPARE(grid.at<cv::Vec3b>(0, 0), cv::Vec3b(255, 255, 255));
  QVERIFY_THROWS_EXCEPTION(std::invalid_argument, toImageGrid(torch::zeros({1, 2, 4, 4}), 1));
}

void TestData::writeImageFilesPerImage() {
  const auto dir = tmpPath("frames");
  std::filesystem::remove_all(dir);
  writeImageFiles(dir, torch::rand({3, 1, 4, 5}) * 2 - 1, "level");
  for (int i = 0; i < 3; ++i) {
    const auto path = dir + "/level_0000" + std::to_string(i) + ".png";
    const auto read = cv::imread(path, cv::IMREAD_UNCHANGED);
    QVERIFY2(!read.empty(), path.c_str());
    QCOMPARE(read.rows, 4);
    QCOMPARE(read.cols, 5);
  }
  QVERIFY(!std::filesystem::exists(dir + "/level_00003.png"));
}

void TestData::writePngMissingFolder() {
  const auto path = tmpPath("no-such-folder/x.png");
  const auto error = errorOf([&] { writePng(path, cv::Mat(4, 4, CV_8UC1, cv::Scalar(0))); });
  QVERIFY2(contains(error, path), error.c_str());
}

void TestData::scatterPlotPng() {
  const auto points = torch::zeros({1, 2});
  const auto reference = sampleToy(ToyShape::Rings, 300, seeded(1));
  const auto plot = scatterPlot(points, reference, /*size=*/256);
  const auto path = tmpPath("scatter.png");
  writePng(path, plot);
  const auto read = cv::imread(path, cv::IMREAD_COLOR);
  QVERIFY(!read.empty());
  QCOMPARE(read.rows, 256);
  QCOMPARE(read.cols, 256);
  QCOMPARE(read.at<cv::Vec3b>(2, 2), cv::Vec3b(255, 255, 255));
  // The one point, at the origin, sits in the middle in a strong colour.
  const auto centre = read.at<cv::Vec3b>(128, 128);
  QVERIFY(centre[0] > centre[2] + 100);
  // Undefined reference and far-away or non-finite points are fine.
  const auto wild = torch::tensor({1e30f, NAN, 0.5f, 0.5f}).view({2, 2});
  QCOMPARE(scatterPlot(wild, torch::Tensor(), 64).rows, 64);
}

QTEST_APPLESS_MAIN(TestData)
#include "test_data.moc"
