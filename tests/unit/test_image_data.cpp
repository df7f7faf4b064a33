// Image data sets from files: plain folders, class folders, single images, CIFAR-10 binary
// batches and CelebA, each from small fixtures the tests write in the real layout.
#include <opencv2/imgcodecs.hpp>
#include <opencv2/imgproc.hpp>

#include <QtTest>

#include <filesystem>
#include <fstream>
#include <functional>
#include <string>
#include <vector>

#include "celeba.h"
#include "cifar10.h"
#include "image_folder.h"
#include "test_support.h"

using namespace cdrl;
namespace fs = std::filesystem;

namespace {

constexpr float kTolerance = 1e-5f;
constexpr float kJpegTolerance = 4 / 127.5f;  // a flat colour survives JPEG within a few levels

using cdrl::test::contains;
using cdrl::test::errorOf;

void writeBytes(const std::string& path, const std::string& bytes) {
  fs::create_directories(fs::path(path).parent_path());
  std::ofstream(path, std::ios::binary) << bytes;
}

void writeImage(const std::string& path, const cv::Mat& image) {
  fs::create_directories(fs::path(path).parent_path());
  QVERIFY2(cv::imwrite(path, image), path.c_str());
}

float scaled(double byte) { return static_cast<float>(byte / 127.5 - 1); }

// Largest |image[c] - value_c| over the pixels of one [C, H, W] image.
float distanceTo(const torch::Tensor& image, const std::vector<float>& rgb) {
  const auto expected = torch::tensor(rgb).view({-1, 1, 1});
  return (image - expected).abs().max().item<float>();
}

// The plain-folder fixture; sorted, its images are (0) bands.png, (1) deep.png, (2) gray.png,
// (3) rgb.jpg, (4) rgba.png, (5) sub/Upper.PNG; corrupt.png is skipped, notes.txt ignored.
std::string writeMixedFolder() {
  const auto dir = test::tempDir("image-folder-mixed");
  // 96x32, red | green | blue thirds (BGR): the centre crop is exactly the green third.
  cv::Mat bands(32, 96, CV_8UC3, cv::Scalar(0, 0, 255));
  bands(cv::Rect(32, 0, 32, 32)).setTo(cv::Scalar(0, 255, 0));
  bands(cv::Rect(64, 0, 32, 32)).setTo(cv::Scalar(255, 0, 0));
  writeImage(dir + "/bands.png", bands);
  // 16-bit colour, 50x30, full scale in R only.
  writeImage(dir + "/deep.png", cv::Mat(30, 50, CV_16UC3, cv::Scalar(0, 32896, 65535)));
  // Grey, 40x60, black.
  writeImage(dir + "/gray.png", cv::Mat(60, 40, CV_8UC1, cv::Scalar(0)));
  // Colour JPEG 64x48, RGB (200, 100, 50).
  writeImage(dir + "/rgb.jpg", cv::Mat(48, 64, CV_8UC3, cv::Scalar(50, 100, 200)));
  // RGBA 20x20, transparent red: alpha is dropped, the image is enlarged.
  writeImage(dir + "/rgba.png", cv::Mat(20, 20, CV_8UC4, cv::Scalar(0, 0, 255, 0)));
  // 64x128 in a subfolder, upper-case extension: white top quarter, coloured middle half, black
  // bottom quarter; halved to 32x64 then centre-cropped, only the middle colour is left.
  cv::Mat tall(128, 64, CV_8UC3, cv::Scalar(255, 255, 255));
  tall(cv::Rect(0, 32, 64, 64)).setTo(cv::Scalar(30, 60, 90));
  tall(cv::Rect(0, 96, 64, 32)).setTo(cv::Scalar(0, 0, 0));
  writeImage(dir + "/sub/Upper.PNG", tall);
  writeBytes(dir + "/corrupt.png", "this is not a PNG file");
  writeBytes(dir + "/notes.txt", "not an image");
  writeBytes(dir + "/.hidden.png", "hidden files are never data");
  return dir;
}

// CIFAR-10 record `j` of batch `k` (1..5, 6 for the test batch): label (2k + j) % 10, byte at
// plane c, row y, column x = (50c + 3y + x + 7k + j) % 256, except batch 1 record 0 whose planes
// are R = 255, G = 0, B = 128.
uint8_t cifarLabel(int k, int j) { return static_cast<uint8_t>((2 * k + j) % 10); }
uint8_t cifarByte(int k, int j, int c, int y, int x) {
  if (k == 1 && j == 0) return c == 0 ? 255 : c == 1 ? 0 : 128;
  return static_cast<uint8_t>((50 * c + 3 * y + x + 7 * k + j) % 256);
}
std::string cifarBatch(int k, int records) {
  std::string bytes;
  for (int j = 0; j < records; ++j) {
    bytes.push_back(static_cast<char>(cifarLabel(k, j)));
    for (int c = 0; c < 3; ++c) {
      for (int y = 0; y < 32; ++y) {
        for (int x = 0; x < 32; ++x) bytes.push_back(static_cast<char>(cifarByte(k, j, c, y, x)));
      }
    }
  }
  return bytes;
}
torch::Tensor cifarExpected(int k, int j) {
  auto image = torch::empty({3, 32, 32});
  for (int c = 0; c < 3; ++c) {
    for (int y = 0; y < 32; ++y) {
      for (int x = 0; x < 32; ++x) image[c][y][x] = scaled(cifarByte(k, j, c, y, x));
    }
  }
  return image;
}
void writeCifar(const std::string& dir) {
  for (int k = 1; k <= 5; ++k) {
    writeBytes(dir + "/data_batch_" + std::to_string(k) + ".bin", cifarBatch(k, 2));
  }
  writeBytes(dir + "/test_batch.bin", cifarBatch(6, 3));
}

// CelebA: images 000001..000006.jpg (000003.jpg missing), each flat RGB (40i, 100, 250 - 40i);
// attribute a of image i is 1 when (i + a) % 3 == 0, else -1; partition 1-3 train, 4 validation,
// 5-6 test.
constexpr int kCelebAttributes = 40;
std::string celebFile(int i) { return QString("%1.jpg").arg(i, 6, 10, QChar('0')).toStdString(); }
std::string celebAttrLine(int i) {
  std::string line = celebFile(i);
  for (int a = 0; a < kCelebAttributes; ++a) line += (i + a) % 3 == 0 ? "  1" : " -1";
  return line + "\n";
}
std::string writeCeleb(const QString& name) {
  const auto root = test::tempDir(name);
  for (int i = 1; i <= 6; ++i) {
    if (i == 3) continue;
    const cv::Mat face(24, 20, CV_8UC3, cv::Scalar(250 - 40 * i, 100, 40 * i));
    writeImage(root + "/img_align_celeba/" + celebFile(i), face);
  }
  std::string names;
  for (int a = 0; a < kCelebAttributes; ++a) names += "Attr_" + std::to_string(a) + " ";
  std::string attr = "6\n" + names + "\n";
  for (int i = 1; i <= 6; ++i) attr += celebAttrLine(i);
  writeBytes(root + "/list_attr_celeba.txt", attr);
  writeBytes(root + "/list_eval_partition.txt",
             "000001.jpg 0\n000002.jpg 0\n000003.jpg 0\n000004.jpg 1\n000005.jpg 2\r\n"
             "000006.jpg 2\n");
  return root;
}

}  // namespace

class TestImageData : public QObject {
  Q_OBJECT

 private Q_SLOTS:
  // Options and helpers.
  void optionsValidate();
  void extensions();

  // Plain folders and single images.
  void folderMixed();
  void folderGreySmall();
  void folderLimit();
  void loadImageNotes();
  void loadImageErrors();
  void folderErrors_data();
  void folderErrors();

  // Class folders.
  void classFolders();
  void classFolderErrors();

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

void TestImageData::optionsValidate() {
  ImageLoadOptions options;
  QCOMPARE(options.size, int64_t{32});
  QCOMPARE(options.channels, 3);
  QVERIFY(options.random_flip);
  QCOMPARE(options.limit, int64_t{-1});
  options.validate();
  options.size = 0;
  QVERIFY(contains(errorOf([&] { options.validate(); }), "size"));
  options.size = 32;
  options.channels = 2;
  QVERIFY(contains(errorOf([&] { options.validate(); }), "channels"));
  options.channels = 1;
  options.limit = -2;
  QVERIFY(contains(errorOf([&] { options.validate(); }), "limit"));
  QVERIFY_THROWS_EXCEPTION(std::invalid_argument, options.validate());
}

void TestImageData::extensions() {
  for (const char* path :
       {"a.png", "b/c.JPG", "d.jpeg", "e.Bmp", "f.webp", "g.TIF", "h.tiff", "i.pgm", "j.ppm"}) {
    QVERIFY2(hasImageExtension(path), path);
  }
  for (const char* path : {"a.txt", "png", "b.png.bak", "c.gif", "d"}) {
    QVERIFY2(!hasImageExtension(path), path);
  }
  QCOMPARE(imageExtensions().size(), size_t{9});
}

void TestImageData::folderMixed() {
  const auto dir = writeMixedFolder();
  LoadReport report;
  const auto d = readImageFolder(dir, ImageLoadOptions{}, &report);
  QCOMPARE(report.loaded, int64_t{6});
  QCOMPARE(report.skipped, int64_t{1});
  QCOMPARE(report.ignored, int64_t{1});
  QVERIFY2(contains(report.example_skipped, dir + "/corrupt.png"), report.example_skipped.c_str());
  QCOMPARE(d.name, "folder:" + dir);
  QCOMPARE(d.data.sizes().vec(), (std::vector<int64_t>{6, 3, 32, 32}));
  QCOMPARE(d.data.scalar_type(), torch::kFloat);
  QVERIFY(d.data.min().item<float>() >= -1.0f && d.data.max().item<float>() <= 1.0f);
  QVERIFY(!d.labels.defined());
  QVERIFY(d.class_names.empty());
  QVERIFY(!d.attributes.defined());
  QVERIFY(d.random_flip);
  QCOMPARE(d.shift, std::vector<double>{0});
  QCOMPARE(d.scale, std::vector<double>{1});
  // Known colours, RGB in the tensor.
  QVERIFY(distanceTo(d.data[0], {-1, 1, -1}) < kTolerance);           // green centre
  QVERIFY(distanceTo(d.data[1], {1, scaled(128), -1}) < kTolerance);  // 16-bit
  QVERIFY(distanceTo(d.data[2], {-1, -1, -1}) < kTolerance);          // grey -> RGB
  QVERIFY(distanceTo(d.data[3], {scaled(200), scaled(100), scaled(50)}) < kJpegTolerance);
  QVERIFY(distanceTo(d.data[4], {1, -1, -1}) < kTolerance);  // alpha dropped
  QVERIFY(distanceTo(d.data[5], {scaled(90), scaled(60), scaled(30)}) < kTolerance);  // crop
  // Without a report, the same data.
  QVERIFY(torch::equal(readImageFolder(dir, ImageLoadOptions{}).data, d.data));
}

void TestImageData::folderGreySmall() {
  const auto dir = writeMixedFolder();
  ImageLoadOptions options;
  options.size = 16;
  options.channels = 1;
  options.random_flip = false;
  const auto d = readImageFolder(dir, options);
  QCOMPARE(d.data.sizes().vec(), (std::vector<int64_t>{6, 1, 16, 16}));
  QVERIFY(!d.random_flip);
  // Pure green in grey: 0.587 * 255.
  QVERIFY(distanceTo(d.data[0], {scaled(0.587 * 255)}) < 1e-3f);
  QVERIFY(distanceTo(d.data[2], {-1}) < kTolerance);
  QVERIFY(distanceTo(d.data[4], {scaled(0.299 * 255)}) < 1e-3f);
}

void TestImageData::folderLimit() {
  const auto dir = writeMixedFolder();
  const auto all = readImageFolder(dir, ImageLoadOptions{});
  ImageLoadOptions options;
  options.limit = 2;
  LoadReport report;
  const auto first = readImageFolder(dir, options, &report);
  QCOMPARE(first.size(), int64_t{2});
  QCOMPARE(report.loaded, int64_t{2});
  QCOMPARE(report.skipped, int64_t{1});  // corrupt.png sorts between the first two
  QVERIFY(torch::equal(first.data, all.data.slice(0, 0, 2)));
  options.limit = 1;
  readImageFolder(dir, options, &report);
  QCOMPARE(report.skipped, int64_t{0});  // stopped before corrupt.png
  options.limit = 0;
  const auto none = readImageFolder(dir, options);
  QCOMPARE(none.data.sizes().vec(), (std::vector<int64_t>{0, 3, 32, 32}));
  options.limit = 100;
  QCOMPARE(readImageFolder(dir, options).size(), int64_t{6});
}

void TestImageData::loadImageNotes() {
  const auto dir = writeMixedFolder();
  ImageLoadOptions options;
  std::string note;
  // 64x48 -> short side 32: 43x32, then the centre 32x32.
  const auto rgb = loadImage(dir + "/rgb.jpg", options, &note);
  QCOMPARE(rgb.sizes().vec(), (std::vector<int64_t>{3, 32, 32}));
  QCOMPARE(note, std::string("resized 64×48 → 43×32, centre-cropped to 32×32"));
  options.channels = 1;
  loadImage(dir + "/rgb.jpg", options, &note);
  QCOMPARE(note, std::string("converted 3→1 channels, resized 64×48 → 43×32, centre-cropped to "
                             "32×32"));
  options.channels = 3;
  loadImage(dir + "/rgba.png", options, &note);
  QCOMPARE(note, std::string("converted 4→3 channels (alpha dropped), resized 20×20 → 32×32"));
  loadImage(dir + "/deep.png", options, &note);
  QVERIFY2(contains(note, "16-bit"), note.c_str());
  loadImage(dir + "/gray.png", options, &note);
  QVERIFY2(contains(note, "converted 1→3 channels"), note.c_str());
  writeImage(dir + "/exact.png", cv::Mat(32, 32, CV_8UC3, cv::Scalar(1, 2, 3)));
  const auto exact = loadImage(dir + "/exact.png", options, &note);
  QCOMPARE(note, std::string());
  QVERIFY(distanceTo(exact, {scaled(3), scaled(2), scaled(1)}) < kTolerance);
  // The same conversion from a decoded matrix.
  const auto direct = imageToTensor(cv::Mat(32, 32, CV_8UC3, cv::Scalar(1, 2, 3)), options);
  QVERIFY(torch::equal(direct, exact));
}

void TestImageData::loadImageErrors() {
  const auto dir = writeMixedFolder();
  const ImageLoadOptions options;
  for (const std::string name : {"corrupt.png", "missing.png", "notes.txt", "sub"}) {
    const auto path = dir + "/" + name;
    const auto error = errorOf([&] { loadImage(path, options); });
    QVERIFY2(contains(error, path), error.c_str());
    QVERIFY_THROWS_EXCEPTION(std::runtime_error, loadImage(path, options));
  }
  writeBytes(dir + "/empty.png", "");
  QVERIFY(contains(errorOf([&] { loadImage(dir + "/empty.png", options); }), "empty file"));
  QVERIFY_THROWS_EXCEPTION(std::runtime_error, imageToTensor(cv::Mat(), options));
}

void TestImageData::folderErrors_data() {
  QTest::addColumn<QString>("kind");
  QTest::addColumn<QString>("message");
  QTest::newRow("missing") << "missing"
                           << "folder not found";
  QTest::newRow("empty") << "empty"
                         << "no image files";
  QTest::newRow("only text") << "text"
                             << "no image files";
  QTest::newRow("none readable") << "corrupt"
                                 << "none of the 2 image files could be read (e.g. ";
  QTest::newRow("a file") << "file"
                          << "not a folder";
}

void TestImageData::folderErrors() {
  QFETCH(QString, kind);
  QFETCH(QString, message);
  auto dir = test::tempDir("image-folder-error-" + kind);
  if (kind == "missing") dir += "/no-such-folder";
  if (kind == "text") writeBytes(dir + "/a.txt", "text");
  if (kind == "corrupt") {
    writeBytes(dir + "/a.jpg", "not a jpeg");
    writeBytes(dir + "/b/c.png", "");
  }
  if (kind == "file") {
    writeBytes(dir + "/x.png", "");
    dir += "/x.png";
  }
  for (bool classes : {false, true}) {
    const auto error = errorOf([&] {
      classes ? readClassFolders(dir, ImageLoadOptions{})
              : readImageFolder(dir, ImageLoadOptions{});
    });
    QVERIFY2(contains(error, dir), error.c_str());
    if (!classes) QVERIFY2(contains(error, message.toStdString()), error.c_str());
  }
  QVERIFY_THROWS_EXCEPTION(std::runtime_error, readImageFolder(dir, ImageLoadOptions{}));
}

void TestImageData::classFolders() {
  const auto dir = test::tempDir("image-classes");
  const auto grey = [](int v) { return cv::Mat(8, 8, CV_8UC1, cv::Scalar(v)); };
  writeImage(dir + "/dog/a.png", grey(40));
  writeImage(dir + "/cat/b.png", grey(20));
  writeImage(dir + "/cat/a.png", grey(10));
  writeImage(dir + "/cat/inner/c.png", grey(30));
  writeBytes(dir + "/cat/broken.png", "broken");
  fs::create_directories(dir + "/empty");
  writeImage(dir + "/.hidden/x.png", grey(99));
  writeImage(dir + "/loose.png", grey(99));
  LoadReport report;
  const auto d = readClassFolders(dir, ImageLoadOptions{}, &report);
  QCOMPARE(d.name, "classes:" + dir);
  QCOMPARE(d.class_names, (std::vector<std::string>{"cat", "dog"}));
  QCOMPARE(d.labels.scalar_type(), torch::kLong);
  QCOMPARE(d.labels.sizes().vec(), std::vector<int64_t>{4});
  QVERIFY(torch::equal(d.labels, torch::tensor({0, 0, 0, 1}, torch::kLong)));
  QCOMPARE(d.data.sizes().vec(), (std::vector<int64_t>{4, 3, 32, 32}));
  // cat/a, cat/b, cat/inner/c, dog/a.
  const std::vector<int> values = {10, 20, 30, 40};
  for (size_t i = 0; i < values.size(); ++i) {
    QVERIFY(distanceTo(d.data[i], {scaled(values[i]), scaled(values[i]), scaled(values[i])}) <
            kTolerance);
  }
  QCOMPARE(report.loaded, int64_t{4});
  QCOMPARE(report.skipped, int64_t{1});
  QVERIFY(contains(report.example_skipped, "cat/broken.png"));
  QCOMPARE(report.ignored, int64_t{1});  // loose.png
  ImageLoadOptions options;
  options.limit = 2;
  const auto first = readClassFolders(dir, options);
  QVERIFY(torch::equal(first.labels, torch::tensor({0, 0}, torch::kLong)));
  QCOMPARE(first.class_names.size(), size_t{2});
}

void TestImageData::classFolderErrors() {
  const auto loose = test::tempDir("image-classes-loose");
  writeImage(loose + "/a.png", cv::Mat(4, 4, CV_8UC1, cv::Scalar(0)));
  fs::create_directories(loose + "/empty");
  auto error = errorOf([&] { readClassFolders(loose, ImageLoadOptions{}); });
  QVERIFY2(contains(error, loose) && contains(error, "no subfolder holds image files"),
           error.c_str());
  const auto broken = test::tempDir("image-classes-broken");
  writeBytes(broken + "/a/x.png", "broken");
  error = errorOf([&] { readClassFolders(broken, ImageLoadOptions{}); });
  QVERIFY2(contains(error, broken) && contains(error, "a/x.png"), error.c_str());
}

void TestImageData::cifarTrain() {
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

void TestImageData::cifarTestAndNames() {
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

void TestImageData::cifarErrors_data() {
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

void TestImageData::cifarErrors() {
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

void TestImageData::celebaSplits() {
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

void TestImageData::celebaErrors_data() {
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

void TestImageData::celebaErrors() {
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

QTEST_APPLESS_MAIN(TestImageData)
#include "test_image_data.moc"
