// Image export: grids of grey and colour images, one PNG per image, scatter plots, errors.
#include "data_fixtures.h"

#include <QtTest>

using namespace fixtures;

class TestImageIo : public QObject {
  Q_OBJECT

 private Q_SLOTS:
  void initTestCase() { QVERIFY(QDir().mkpath(QString(CDRL_TEST_TMP) + "/test_data")); }

  // Images.
  void imageGridGrey();
  void imageGridColour();
  void writeImageFilesPerImage();
  void writePngMissingFolder();
  void scatterPlotPng();
};

void TestImageIo::imageGridGrey() {
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

void TestImageIo::imageGridColour() {
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

void TestImageIo::writeImageFilesPerImage() {
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

void TestImageIo::writePngMissingFolder() {
  const auto path = tmpPath("no-such-folder/x.png");
  const auto error = errorOf([&] { writePng(path, cv::Mat(4, 4, CV_8UC1, cv::Scalar(0))); });
  QVERIFY2(contains(error, path), error.c_str());
}

void TestImageIo::scatterPlotPng() {
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

QTEST_APPLESS_MAIN(TestImageIo)
#include "test_image_io.moc"
