// Image data from plain folders, class folders and single images, from fixtures written in the real
// layout.
#include "image_fixtures.h"

#include <QtTest>

using namespace fixtures;

class TestImageFolder : public QObject {
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
  void headerSizes();
  void oversizedImagesRefusedBeforeDecoding();
  void longThinImageStaysSmall();
  void folderErrors_data();
  void folderErrors();

  // Class folders.
  void classFolders();
  void classFolderErrors();
};

void TestImageFolder::optionsValidate() {
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

void TestImageFolder::extensions() {
  for (const char* path :
       {"a.png", "b/c.JPG", "d.jpeg", "e.Bmp", "f.webp", "g.TIF", "h.tiff", "i.pgm", "j.ppm"}) {
    QVERIFY2(hasImageExtension(path), path);
  }
  for (const char* path : {"a.txt", "png", "b.png.bak", "c.gif", "d"}) {
    QVERIFY2(!hasImageExtension(path), path);
  }
  QCOMPARE(imageExtensions().size(), size_t{9});
}

void TestImageFolder::folderMixed() {
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

void TestImageFolder::folderGreySmall() {
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

void TestImageFolder::folderLimit() {
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

void TestImageFolder::loadImageNotes() {
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

void TestImageFolder::loadImageErrors() {
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

// Width and height from the header of every format the readers accept, and nothing (no crash, no
// read past the end) from any shorter prefix of those files.
void TestImageFolder::headerSizes() {
  const auto dir = test::tempDir("image-headers");
  const cv::Mat image(23, 37, CV_8UC3, cv::Scalar(10, 200, 30));
  for (const std::string extension : {"png", "jpg", "bmp", "webp", "tiff", "ppm", "pgm"}) {
    const auto path = dir + "/image." + extension;
    cv::Mat written = image;
    if (extension == "pgm") cv::cvtColor(image, written, cv::COLOR_BGR2GRAY);
    writeImage(path, written);
    std::ifstream in(path, std::ios::binary);
    const std::vector<uint8_t> bytes((std::istreambuf_iterator<char>(in)),
                                     std::istreambuf_iterator<char>());
    const auto size = imageSizeFromHeader(bytes);
    QVERIFY2(size.has_value(), extension.c_str());
    QCOMPARE(size->width, int64_t{37});
    QCOMPARE(size->height, int64_t{23});
    for (size_t n = 0; n < std::min<size_t>(bytes.size(), 64); ++n) {
      const std::vector<uint8_t> prefix(bytes.begin(), bytes.begin() + static_cast<long>(n));
      const auto cut = imageSizeFromHeader(prefix);
      QVERIFY2(!cut || (cut->width == 37 && cut->height == 23), extension.c_str());
    }
  }
  QVERIFY(!imageSizeFromHeader({'G', 'I', 'F', '8', '9', 'a'}).has_value());
}

// A 300-byte PNG whose header says 20000×20000 (1.6 GB decoded) is refused with its size named,
// before any pixel is decoded; a folder of such files is a one-line error, not gigabytes.
void TestImageFolder::oversizedImagesRefusedBeforeDecoding() {
  const auto dir = test::tempDir("image-oversized");
  std::vector<uint8_t> png;
  QVERIFY(cv::imencode(".png", cv::Mat(8, 8, CV_8UC1, cv::Scalar(0)), png));
  for (const int at : {16, 20}) {  // IHDR width and height, big-endian
    png[static_cast<size_t>(at)] = 0;
    png[static_cast<size_t>(at) + 1] = 0;
    png[static_cast<size_t>(at) + 2] = 20000 >> 8;
    png[static_cast<size_t>(at) + 3] = 20000 & 0xFF;
  }
  writeBytes(dir + "/huge.png", std::string(png.begin(), png.end()));
  const auto error = errorOf([&] { loadImage(dir + "/huge.png", ImageLoadOptions{}); });
  QVERIFY2(contains(error, "huge.png: image is 20000×20000 pixels; the limit"), error.c_str());
  const auto folder = errorOf([&] { readImageFolder(dir, ImageLoadOptions{}); });
  QVERIFY2(contains(folder, "20000×20000"), folder.c_str());
  // A file that is no image format at all is named as such.
  writeBytes(dir + "/text.png", "hello, not an image");
  QVERIFY(contains(errorOf([&] { loadImage(dir + "/text.png", ImageLoadOptions{}); }),
                   "not a PNG, JPEG"));
}

// 4000×1: resizing the short side to 32 would make 128 000×32 before the crop; the reader keeps
// only the centre it can show and still gives the centre pixels' colour.
void TestImageFolder::longThinImageStaysSmall() {
  const auto dir = test::tempDir("image-thin");
  cv::Mat thin(1, 4000, CV_8UC3, cv::Scalar(255, 0, 0));
  thin(cv::Rect(1990, 0, 20, 1)).setTo(cv::Scalar(0, 255, 0));  // green centre, blue elsewhere
  writeImage(dir + "/thin.png", thin);
  std::string note;
  const auto image = loadImage(dir + "/thin.png", ImageLoadOptions{}, &note);
  QCOMPARE(image.sizes().vec(), (std::vector<int64_t>{3, 32, 32}));
  QVERIFY2(contains(note, "kept the centre 2×1 of 4000×1"), note.c_str());
  QVERIFY(distanceTo(image, {scaled(0), scaled(255), scaled(0)}) < kTolerance);
}

void TestImageFolder::folderErrors_data() {
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

void TestImageFolder::folderErrors() {
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

void TestImageFolder::classFolders() {
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

void TestImageFolder::classFolderErrors() {
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

QTEST_APPLESS_MAIN(TestImageFolder)
#include "test_image_folder.moc"
