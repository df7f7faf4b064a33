#include "safetensors.h"

#include <QByteArray>
#include <QDir>
#include <QFile>
#include <QJsonArray>
#include <QJsonDocument>
#include <QJsonObject>
#include <QList>
#include <QTemporaryDir>
#include <QtTest>

#include <cstdint>
#include <cstring>
#include <memory>
#include <random>
#include <string>
#include <vector>

namespace {

// Own CRC-32 (the zlib/PNG polynomial) so the layout check does not reuse the code under test.
uint32_t referenceCrc32(const QByteArray& bytes) {
  uint32_t crc = 0xffffffffu;
  for (char ch : bytes) {
    crc ^= static_cast<uint8_t>(ch);
    for (int bit = 0; bit < 8; ++bit) crc = (crc >> 1) ^ (0xedb88320u & (0u - (crc & 1u)));
  }
  return crc ^ 0xffffffffu;
}

QByteArray rawBytes(const torch::Tensor& tensor) {
  torch::Tensor t = tensor.contiguous();
  return QByteArray(static_cast<const char*>(t.data_ptr()),
                    static_cast<qsizetype>(t.numel() * t.element_size()));
}

// Values are random bit patterns, so floats include NaNs, infinities and subnormals; a few
// hand-picked NaN payloads (quiet, signalling, negative) are placed first when there is room.
torch::Tensor randomTensor(torch::ScalarType dtype, const std::vector<int64_t>& shape,
                           uint32_t seed) {
  torch::Tensor t = torch::empty(shape, torch::TensorOptions().dtype(dtype));
  const size_t size = static_cast<size_t>(t.numel() * t.element_size());
  auto* data = static_cast<uint8_t*>(t.data_ptr());
  std::mt19937 rng(seed);
  for (size_t i = 0; i < size; ++i)
    data[i] = static_cast<uint8_t>(dtype == torch::kBool ? rng() % 2 : rng() % 256);

  auto place = [&](auto... patterns) {
    using T = std::common_type_t<decltype(patterns)...>;
    const T values[] = {patterns...};
    if (size >= sizeof values) std::memcpy(data, values, sizeof values);
  };
  switch (dtype) {
    case torch::kFloat64:
      place(uint64_t{0x7ff8000000000001}, uint64_t{0x7ff0000000000001},
            uint64_t{0xfff8deadbeef0000});
      break;
    case torch::kFloat32:
      place(uint32_t{0x7fc00001}, uint32_t{0x7f800001}, uint32_t{0xffbadbad});
      break;
    case torch::kFloat16:
      place(uint16_t{0x7e01}, uint16_t{0x7c01}, uint16_t{0xfd55});
      break;
    case torch::kBFloat16:
      place(uint16_t{0x7fc1}, uint16_t{0x7f81}, uint16_t{0xffa5});
      break;
    default:
      break;
  }
  return t;
}

QByteArray readFile(const QString& path) {
  QFile f(path);
  if (!f.open(QIODevice::ReadOnly)) return {};
  return f.readAll();
}

bool writeFile(const QString& path, const QByteArray& bytes) {
  QFile f(path);
  return f.open(QIODevice::WriteOnly | QIODevice::Truncate) && f.write(bytes) == bytes.size();
}

// A file laid out by hand, for headers the writer would never produce.
QByteArray craftFile(const QByteArray& header, const QByteArray& data) {
  const uint64_t size = static_cast<uint64_t>(header.size());
  QByteArray out(reinterpret_cast<const char*>(&size), 8);
  return out + header + data;
}

uint64_t headerLength(const QByteArray& file) {
  uint64_t n = 0;
  for (int i = 7; i >= 0; --i) n = (n << 8) | static_cast<uint8_t>(file[i]);
  return n;
}

// Returns the FormatError message, or an empty string when the read succeeded; any other
// exception escapes and fails the test.
QString readError(const QString& path) {
  try {
    cdrl::readTensorFile(path.toStdString());
  } catch (const cdrl::FormatError& e) {
    return QString::fromStdString(e.what());
  }
  return {};
}

QString writeError(const QString& path, const cdrl::TensorFile& file) {
  try {
    cdrl::writeTensorFile(path.toStdString(), file);
  } catch (const cdrl::FormatError& e) {
    return QString::fromStdString(e.what());
  }
  return {};
}

const char* dtypeName(torch::ScalarType type) {
  switch (type) {
    case torch::kFloat64:
      return "F64";
    case torch::kFloat32:
      return "F32";
    case torch::kFloat16:
      return "F16";
    case torch::kBFloat16:
      return "BF16";
    case torch::kInt64:
      return "I64";
    case torch::kInt32:
      return "I32";
    case torch::kInt16:
      return "I16";
    case torch::kInt8:
      return "I8";
    case torch::kUInt8:
      return "U8";
    case torch::kBool:
      return "BOOL";
    default:
      return "?";
  }
}

const torch::ScalarType kAllDtypes[] = {
    torch::kFloat64, torch::kFloat32, torch::kFloat16, torch::kBFloat16, torch::kInt64,
    torch::kInt32,   torch::kInt16,   torch::kInt8,    torch::kUInt8,    torch::kBool};

// A small file with several tensors and metadata, all ASCII so every header byte flip is an
// invalid UTF-8 or JSON byte.
cdrl::TensorFile sampleFile() {
  cdrl::TensorFile file;
  file.metadata["model"] = "cdrl-test";
  file.metadata["step"] = "42";
  file.tensors["weight"] = randomTensor(torch::kFloat32, {4, 3}, 1);
  file.tensors["bias"] = randomTensor(torch::kFloat32, {3}, 2);
  file.tensors["count"] = randomTensor(torch::kInt64, {}, 3);
  file.tensors["mask"] = randomTensor(torch::kBool, {5}, 4);
  return file;
}

}  // namespace

class TestSafetensors : public QObject {
  Q_OBJECT

 private Q_SLOTS:
  void init();
  void cleanup();

  void roundTripIsBitExact_data();
  void roundTripIsBitExact();
  void allDtypesInOneFile();
  void nonContiguousInputIsWrittenByValue();
  void metadataRoundTrip();
  void layoutMatchesIndependentParse();
  void readsFileWithoutChecksum();

  void truncatedFile_data();
  void truncatedFile();
  void flippedDataByteIsCorrupted_data();
  void flippedDataByteIsCorrupted();
  void flippedHeaderByteIsRejected();
  void garbageHeaderLength_data();
  void garbageHeaderLength();
  void malformedHeader_data();
  void malformedHeader();
  void missingFileNamesPath();

  void overwriteLeavesNoTempFiles();
  void writeFailureNamesPathAndCleansUp_data();
  void writeFailureNamesPathAndCleansUp();
  void unsupportedDtypeWritesNothing();

 private:
  QString pathFor(const QString& name) const { return dir_->filePath(name); }
  QStringList entries() const {
    return QDir(dir_->path()).entryList(QDir::AllEntries | QDir::Hidden | QDir::NoDotAndDotDot);
  }

  std::unique_ptr<QTemporaryDir> dir_;
};

void TestSafetensors::init() {
  QVERIFY(QDir().mkpath(CDRL_TEST_TMP));
  dir_ = std::make_unique<QTemporaryDir>(QStringLiteral(CDRL_TEST_TMP "/safetensors-XXXXXX"));
  QVERIFY(dir_->isValid());
}

void TestSafetensors::cleanup() { dir_.reset(); }

void TestSafetensors::roundTripIsBitExact_data() {
  QTest::addColumn<int>("dtype");
  QTest::addColumn<QList<qint64>>("shape");
  const QList<QList<qint64>> shapes = {{3, 5}, {7}, {}, {0}, {2, 0, 3}};
  const char* shapeNames[] = {"3x5", "7", "scalar", "empty", "2x0x3"};
  for (torch::ScalarType dtype : kAllDtypes) {
    for (int i = 0; i < shapes.size(); ++i) {
      QTest::addRow("%s %s", dtypeName(dtype), shapeNames[i])
          << static_cast<int>(dtype) << shapes[i];
    }
  }
}

void TestSafetensors::roundTripIsBitExact() {
  QFETCH(int, dtype);
  QFETCH(QList<qint64>, shape);
  const auto type = static_cast<torch::ScalarType>(dtype);
  const std::vector<int64_t> sizes(shape.begin(), shape.end());

  cdrl::TensorFile file;
  file.tensors["t"] = randomTensor(type, sizes, 7);
  const QString path = pathFor("t.safetensors");
  cdrl::writeTensorFile(path.toStdString(), file);
  const cdrl::TensorFile back = cdrl::readTensorFile(path.toStdString());

  QCOMPARE(back.tensors.size(), size_t{1});
  const torch::Tensor& t = back.tensors.at("t");
  QCOMPARE(t.scalar_type(), type);
  QCOMPARE(t.sizes().vec(), sizes);
  QVERIFY(t.device().is_cpu());
  QCOMPARE(rawBytes(t), rawBytes(file.tensors["t"]));
}

void TestSafetensors::allDtypesInOneFile() {
  cdrl::TensorFile file;
  uint32_t seed = 10;
  for (torch::ScalarType dtype : kAllDtypes)
    file.tensors[dtypeName(dtype)] = randomTensor(dtype, {3, 2}, seed++);
  const QString path = pathFor("all.safetensors");
  cdrl::writeTensorFile(path.toStdString(), file);
  const cdrl::TensorFile back = cdrl::readTensorFile(path.toStdString());

  QCOMPARE(back.tensors.size(), file.tensors.size());
  for (const auto& [name, tensor] : file.tensors) {
    const torch::Tensor& t = back.tensors.at(name);
    QCOMPARE(t.scalar_type(), tensor.scalar_type());
    QCOMPARE(rawBytes(t), rawBytes(tensor));
  }
}

void TestSafetensors::nonContiguousInputIsWrittenByValue() {
  const torch::Tensor base = torch::arange(24, torch::kFloat32).reshape({4, 6});
  cdrl::TensorFile file;
  file.tensors["transposed"] = base.t();
  file.tensors["sliced"] = base.slice(1, 1, 5, 2);  // strided and with a storage offset
  file.tensors["expanded"] = torch::ones({1, 3}, torch::kInt32).expand({4, 3});
  QVERIFY(!file.tensors["transposed"].is_contiguous());
  QVERIFY(!file.tensors["sliced"].is_contiguous());

  const QString path = pathFor("views.safetensors");
  cdrl::writeTensorFile(path.toStdString(), file);
  const cdrl::TensorFile back = cdrl::readTensorFile(path.toStdString());
  for (const auto& [name, tensor] : file.tensors) {
    QVERIFY2(torch::equal(back.tensors.at(name), tensor), name.c_str());
    QVERIFY(back.tensors.at(name).is_contiguous());
  }
}

void TestSafetensors::metadataRoundTrip() {
  cdrl::TensorFile file;
  file.metadata["format"] = "pt";
  file.metadata["empty"] = "";
  file.metadata["unicode"] =
      "gr\xc3\xb6\xc3\x9f"
      "e \xe2\x88\x82x";
  file.metadata["quotes and \"escapes\""] = "line1\nline2\t\\";
  file.tensors["x"] = torch::zeros({2});
  const QString path = pathFor("meta.safetensors");
  cdrl::writeTensorFile(path.toStdString(), file);
  const cdrl::TensorFile back = cdrl::readTensorFile(path.toStdString());

  QVERIFY(back.metadata.count("cdrl.data_crc32"));
  auto expected = file.metadata;
  expected["cdrl.data_crc32"] = back.metadata.at("cdrl.data_crc32");
  QCOMPARE(back.metadata, expected);

  // No tensors at all is still a valid file.
  cdrl::TensorFile onlyMeta;
  onlyMeta.metadata["k"] = "v";
  cdrl::writeTensorFile(path.toStdString(), onlyMeta);
  const cdrl::TensorFile back2 = cdrl::readTensorFile(path.toStdString());
  QVERIFY(back2.tensors.empty());
  QCOMPARE(back2.metadata.at("k"), std::string("v"));
}

void TestSafetensors::layoutMatchesIndependentParse() {
  const cdrl::TensorFile file = sampleFile();
  const QString path = pathFor("layout.safetensors");
  cdrl::writeTensorFile(path.toStdString(), file);
  const QByteArray bytes = readFile(path);
  QVERIFY(bytes.size() >= 8);

  const uint64_t n = headerLength(bytes);
  QCOMPARE(n % 8, uint64_t{0});
  QVERIFY(8 + n <= static_cast<uint64_t>(bytes.size()));
  const QByteArray headerText = bytes.mid(8, static_cast<qsizetype>(n));
  QVERIFY(headerText.startsWith('{'));
  const QByteArray data = bytes.mid(static_cast<qsizetype>(8 + n));

  QJsonParseError error;
  const QJsonDocument doc = QJsonDocument::fromJson(headerText, &error);
  QVERIFY2(error.error == QJsonParseError::NoError, qPrintable(error.errorString()));
  QVERIFY(doc.isObject());
  const QJsonObject header = doc.object();

  const QJsonObject meta = header.value("__metadata__").toObject();
  QCOMPARE(meta.value("model").toString(), QString("cdrl-test"));
  QCOMPARE(meta.value("step").toString(), QString("42"));
  QCOMPARE(meta.value("cdrl.data_crc32").toString(), QString::number(referenceCrc32(data)));

  QCOMPARE(header.size(), static_cast<qsizetype>(file.tensors.size() + 1));
  std::vector<std::pair<qint64, qint64>> ranges;
  for (const auto& [name, tensor] : file.tensors) {
    const QJsonObject spec = header.value(QString::fromStdString(name)).toObject();
    QCOMPARE(spec.value("dtype").toString(), QString(dtypeName(tensor.scalar_type())));
    QList<qint64> shape;
    for (const QJsonValue& v : spec.value("shape").toArray()) shape.append(v.toInteger());
    QCOMPARE(shape, QList<qint64>(tensor.sizes().begin(), tensor.sizes().end()));
    const QJsonArray offsets = spec.value("data_offsets").toArray();
    QCOMPARE(offsets.size(), 2);
    const qint64 begin = offsets[0].toInteger(), end = offsets[1].toInteger();
    QCOMPARE(data.mid(begin, end - begin), rawBytes(tensor));
    QCOMPARE(begin % tensor.element_size(), qint64{0});  // naturally aligned for in-place views
    ranges.emplace_back(begin, end);
  }
  // Python's safetensors insists the tensors tile the data section exactly.
  std::sort(ranges.begin(), ranges.end());
  qint64 next = 0;
  for (const auto& [begin, end] : ranges) {
    QCOMPARE(begin, next);
    next = end;
  }
  QCOMPARE(next, static_cast<qint64>(data.size()));
}

void TestSafetensors::readsFileWithoutChecksum() {
  // As another writer (e.g. Python's safetensors) would produce it: no CRC, tensors in any order.
  const float values[] = {1.5f, -2.0f};
  const QByteArray data = QByteArray(reinterpret_cast<const char*>(values), 8) + QByteArray("\x01");
  const QByteArray header = R"({"b":{"dtype":"BOOL","shape":[],"data_offsets":[8,9]},)"
                            R"("a":{"dtype":"F32","shape":[2,1],"data_offsets":[0,8]},)"
                            R"("e":{"dtype":"I16","shape":[0,4],"data_offsets":[9,9]}})";
  const QString path = pathFor("foreign.safetensors");
  QVERIFY(writeFile(path, craftFile(header, data)));

  const cdrl::TensorFile file = cdrl::readTensorFile(path.toStdString());
  QVERIFY(file.metadata.empty());
  QCOMPARE(file.tensors.size(), size_t{3});
  QVERIFY(torch::equal(file.tensors.at("a"), torch::tensor({1.5f, -2.0f}).reshape({2, 1})));
  QCOMPARE(file.tensors.at("b").dim(), int64_t{0});
  QCOMPARE(file.tensors.at("b").item<bool>(), true);
  QCOMPARE(file.tensors.at("e").sizes().vec(), (std::vector<int64_t>{0, 4}));
}

void TestSafetensors::truncatedFile_data() {
  // The cut is `offset` bytes after an anchor: the file start, the JSON start (8), the data start
  // (8 + N) or the end; "header middle" and "data middle" use the midpoint instead.
  QTest::addColumn<QString>("anchor");
  QTest::addColumn<int>("offset");
  QTest::newRow("empty file") << "start" << 0;
  QTest::newRow("inside length, 1 byte") << "start" << 1;
  QTest::newRow("inside length, 7 bytes") << "start" << 7;
  QTest::newRow("length only") << "header" << 0;
  QTest::newRow("inside header, first byte") << "header" << 1;
  QTest::newRow("inside header, middle") << "header middle" << 0;
  QTest::newRow("inside header, last byte missing") << "data" << -1;
  QTest::newRow("header but no data") << "data" << 0;
  QTest::newRow("inside data, first byte") << "data" << 1;
  QTest::newRow("inside data, middle") << "data middle" << 0;
  QTest::newRow("last byte missing") << "end" << -1;
}

void TestSafetensors::truncatedFile() {
  QFETCH(QString, anchor);
  QFETCH(int, offset);
  const QString path = pathFor("cut.safetensors");
  cdrl::writeTensorFile(path.toStdString(), sampleFile());
  const QByteArray full = readFile(path);
  const qint64 n = static_cast<qint64>(headerLength(full));
  const qint64 dataStart = 8 + n;

  qint64 cut = 0;
  if (anchor == "start") cut = offset;
  if (anchor == "header") cut = 8 + offset;
  if (anchor == "header middle") cut = 8 + n / 2;
  if (anchor == "data") cut = dataStart + offset;
  if (anchor == "data middle") cut = dataStart + (full.size() - dataStart) / 2;
  if (anchor == "end") cut = full.size() + offset;
  QVERIFY(cut >= 0 && cut < full.size());

  QVERIFY(writeFile(path, full.left(cut)));
  const QString message = readError(path);
  QVERIFY2(message.contains("truncated"), qPrintable(message));
  QVERIFY2(message.contains(path), qPrintable(message));
  QVERIFY2(!message.contains('\n'), qPrintable(message));
}

void TestSafetensors::flippedDataByteIsCorrupted_data() {
  QTest::addColumn<QString>("where");
  QTest::newRow("first data byte") << "first";
  QTest::newRow("middle data byte") << "middle";
  QTest::newRow("last data byte") << "last";
}

void TestSafetensors::flippedDataByteIsCorrupted() {
  QFETCH(QString, where);
  const QString path = pathFor("flip.safetensors");
  cdrl::writeTensorFile(path.toStdString(), sampleFile());
  QByteArray bytes = readFile(path);
  const qint64 dataStart = 8 + static_cast<qint64>(headerLength(bytes));
  qint64 pos = bytes.size() - 1;
  if (where == "first") pos = dataStart;
  if (where == "middle") pos = (dataStart + bytes.size()) / 2;
  bytes[pos] = static_cast<char>(bytes[pos] ^ 0x01);
  QVERIFY(writeFile(path, bytes));

  const QString message = readError(path);
  QVERIFY2(message.contains("corrupted"), qPrintable(message));
  QVERIFY2(message.contains(path), qPrintable(message));
}

void TestSafetensors::flippedHeaderByteIsRejected() {
  // Inverting an ASCII byte yields a byte >= 0x80, which is never valid JSON structure and never
  // valid UTF-8 next to ASCII, so every position must be rejected, padding included.
  const QString path = pathFor("header.safetensors");
  cdrl::writeTensorFile(path.toStdString(), sampleFile());
  const QByteArray original = readFile(path);
  const qint64 n = static_cast<qint64>(headerLength(original));
  QVERIFY(n > 0);
  for (qint64 pos = 8; pos < 8 + n; ++pos) {
    QVERIFY(static_cast<uint8_t>(original[pos]) < 0x80);
    QByteArray bytes = original;
    bytes[pos] = static_cast<char>(bytes[pos] ^ 0xff);
    QVERIFY(writeFile(path, bytes));
    const QString message = readError(path);
    QVERIFY2(!message.isEmpty(), qPrintable(QString("flip at byte %1 was accepted").arg(pos)));
    QVERIFY2(message.contains(path), qPrintable(message));
  }
}

void TestSafetensors::garbageHeaderLength_data() {
  QTest::addColumn<quint64>("length");
  QTest::addColumn<bool>("relativeToFile");  // length is (file size - 8) + `length` instead
  QTest::addColumn<QString>("expected");
  QTest::newRow("2^60") << (quint64{1} << 60) << false << "truncated";
  QTest::newRow("2^63") << (quint64{1} << 63) << false << "truncated";
  QTest::newRow("2^64 - 1") << ~quint64{0} << false << "truncated";
  QTest::newRow("one past the file") << quint64{1} << true << "truncated";
  QTest::newRow("zero") << quint64{0} << false << "invalid header";
  QTest::newRow("cuts JSON short") << quint64{3} << false << "invalid header";
}

void TestSafetensors::garbageHeaderLength() {
  QFETCH(quint64, length);
  QFETCH(bool, relativeToFile);
  QFETCH(QString, expected);

  const QString path = pathFor("garbage.safetensors");
  cdrl::writeTensorFile(path.toStdString(), sampleFile());
  QByteArray bytes = readFile(path);
  if (relativeToFile) length += static_cast<quint64>(bytes.size()) - 8;
  for (int i = 0; i < 8; ++i) bytes[i] = static_cast<char>((length >> (8 * i)) & 0xff);
  QVERIFY(writeFile(path, bytes));

  const QString message = readError(path);
  QVERIFY2(message.contains(expected), qPrintable(message));
  QVERIFY2(message.contains(path), qPrintable(message));
}

void TestSafetensors::malformedHeader_data() {
  QTest::addColumn<QByteArray>("header");
  QTest::addColumn<QByteArray>("data");
  QTest::addColumn<QString>("expected");
  const QByteArray eight(8, '\0');
  const auto f32 = [](const char* offsets, const char* shape = "[2]") {
    return QByteArray(R"({"a":{"dtype":"F32","shape":)") + shape + R"(,"data_offsets":)" + offsets +
           "}}";
  };

  QTest::newRow("array") << QByteArray("[]") << eight << "not a JSON object";
  QTest::newRow("string") << QByteArray(R"("x")") << eight << "not a JSON object";
  QTest::newRow("invalid JSON") << QByteArray(R"({"a":)") << eight << "not valid JSON";
  QTest::newRow("invalid UTF-8") << QByteArray("{\"\xff\":1}") << eight << "not valid JSON";
  QTest::newRow("trailing garbage") << QByteArray("{} x") << eight << "not valid JSON";
  QTest::newRow("entry not object") << QByteArray(R"({"a":1})") << eight << "not an object";
  QTest::newRow("missing dtype") << QByteArray(R"({"a":{"shape":[2],"data_offsets":[0,8]}})")
                                 << eight << "dtype";
  QTest::newRow("missing shape") << QByteArray(R"({"a":{"dtype":"F32","data_offsets":[0,8]}})")
                                 << eight << "shape";
  QTest::newRow("missing offsets")
      << QByteArray(R"({"a":{"dtype":"F32","shape":[2]}})") << eight << "data_offsets";
  QTest::newRow("three offsets") << f32("[0,4,8]") << eight << "data_offsets";
  QTest::newRow("unknown dtype") << QByteArray(
                                        R"({"a":{"dtype":"C64","shape":[1],"data_offsets":[0,8]}})")
                                 << eight << "unknown dtype 'C64'";
  QTest::newRow("lowercase dtype")
      << QByteArray(R"({"a":{"dtype":"f32","shape":[2],"data_offsets":[0,8]}})") << eight
      << "unknown dtype";
  QTest::newRow("shape needs more bytes") << f32("[0,4]") << eight << "need 8";
  QTest::newRow("shape needs fewer bytes") << f32("[0,8]", "[1]") << eight << "need 4";
  QTest::newRow("negative dimension") << f32("[0,8]", "[-2]") << eight << "negative";
  QTest::newRow("fractional dimension") << f32("[0,8]", "[2.0]") << eight << "not an integer";
  QTest::newRow("shape overflows")
      << f32("[0,8]", "[4294967296,4294967296,16]") << eight << "too large";
  QTest::newRow("dimension over int64")
      << f32("[0,8]", "[18446744073709551615]") << eight << "too large";
  QTest::newRow("negative offset") << f32("[-4,4]", "[2]") << eight << "negative";
  QTest::newRow("reversed offsets") << f32("[8,0]") << eight << "end before";
  QTest::newRow("offset past data")
      << f32("[0,8]") << QByteArray(4, '\0')
      << "truncated: tensor 'a' ends at byte 8 but data section has 4";
  QTest::newRow("huge offsets") << f32("[18446744073709551607,18446744073709551615]") << eight
                                << "truncated: tensor 'a'";
  QTest::newRow("overlapping tensors")
      << QByteArray(R"({"a":{"dtype":"F32","shape":[2],"data_offsets":[0,8]},)"
                    R"("b":{"dtype":"F32","shape":[2],"data_offsets":[4,12]}})")
      << QByteArray(12, '\0') << "overlap";
  QTest::newRow("identical ranges")
      << QByteArray(R"({"a":{"dtype":"I32","shape":[2],"data_offsets":[0,8]},)"
                    R"("b":{"dtype":"F32","shape":[2],"data_offsets":[0,8]}})")
      << eight << "overlap";
  QTest::newRow("metadata not object")
      << QByteArray(R"({"__metadata__":[]})") << eight << "__metadata__";
  QTest::newRow("metadata value not string")
      << QByteArray(R"({"__metadata__":{"k":1}})") << eight << "not a string";
  QTest::newRow("checksum not a number")
      << QByteArray(R"({"__metadata__":{"cdrl.data_crc32":"abc"}})") << eight << "corrupted";
  QTest::newRow("checksum over 32 bits")
      << QByteArray(R"({"__metadata__":{"cdrl.data_crc32":"4294967296"}})") << eight << "corrupted";
  QTest::newRow("checksum wrong") << QByteArray(R"({"__metadata__":{"cdrl.data_crc32":"12345"}})")
                                  << eight << "corrupted: data checksum mismatch";
  QTest::newRow("bool byte not 0 or 1")
      << QByteArray(R"({"b":{"dtype":"BOOL","shape":[1],"data_offsets":[0,1]}})")
      << QByteArray("\x02", 1) << "BOOL";
  QTest::newRow("control character in name stays on one line")
      << QByteArray(R"({"a\nb":{"dtype":"X","shape":[],"data_offsets":[0,0]}})") << eight
      << "unknown dtype";
}

void TestSafetensors::malformedHeader() {
  QFETCH(QByteArray, header);
  QFETCH(QByteArray, data);
  QFETCH(QString, expected);
  const QString path = pathFor("bad.safetensors");
  QVERIFY(writeFile(path, craftFile(header, data)));

  const QString message = readError(path);
  QVERIFY2(message.contains(expected), qPrintable(message));
  QVERIFY2(message.contains(path), qPrintable(message));
  QVERIFY2(!message.contains('\n'), qPrintable(message));
}

void TestSafetensors::missingFileNamesPath() {
  const QString path = pathFor("does-not-exist.safetensors");
  const QString message = readError(path);
  QVERIFY2(message.contains(path), qPrintable(message));

  // A directory opens on Linux but cannot be read as a file.
  const QString dirMessage = readError(dir_->path());
  QVERIFY2(dirMessage.contains(dir_->path()), qPrintable(dirMessage));
}

void TestSafetensors::overwriteLeavesNoTempFiles() {
  const QString path = pathFor("model.safetensors");
  cdrl::TensorFile first;
  first.tensors["x"] = torch::zeros({100});
  cdrl::writeTensorFile(path.toStdString(), first);
  cdrl::TensorFile second;
  second.tensors["y"] = torch::arange(5, torch::kInt64);
  cdrl::writeTensorFile(path.toStdString(), second);

  QCOMPARE(entries(), QStringList{"model.safetensors"});
  const cdrl::TensorFile back = cdrl::readTensorFile(path.toStdString());
  QCOMPARE(back.tensors.size(), size_t{1});
  QVERIFY(torch::equal(back.tensors.at("y"), second.tensors["y"]));
}

void TestSafetensors::writeFailureNamesPathAndCleansUp_data() {
  QTest::addColumn<QString>("target");
  QTest::addColumn<QStringList>("before");  // folder contents the failed write must leave as is
  // Fails when creating the temporary file.
  QTest::newRow("missing directory") << "no-such-dir/model.safetensors" << QStringList{};
  // Fails only at the rename, after the temporary file was written.
  QTest::newRow("target is a directory") << "taken" << QStringList{"taken"};
}

void TestSafetensors::writeFailureNamesPathAndCleansUp() {
  QFETCH(QString, target);
  QFETCH(QStringList, before);
  for (const QString& name : before) QVERIFY(QDir(dir_->path()).mkpath(name + "/inside"));
  const QString path = pathFor(target);
  cdrl::TensorFile file;
  file.tensors["x"] = torch::zeros({2});

  const QString message = writeError(path, file);
  QVERIFY2(message.contains(path), qPrintable(message));
  QCOMPARE(entries(), before);
}

void TestSafetensors::unsupportedDtypeWritesNothing() {
  const QString path = pathFor("complex.safetensors");
  cdrl::TensorFile old;
  old.tensors["keep"] = torch::ones({3});
  cdrl::writeTensorFile(path.toStdString(), old);

  cdrl::TensorFile file;
  file.tensors["z"] = torch::zeros({2}, torch::kComplexFloat);
  const QString message = writeError(path, file);
  QVERIFY2(message.contains(path), qPrintable(message));
  QCOMPARE(entries(), QStringList{"complex.safetensors"});
  // The previous file is untouched.
  QVERIFY(torch::equal(cdrl::readTensorFile(path.toStdString()).tensors.at("keep"),
                       old.tensors["keep"]));
}

QTEST_APPLESS_MAIN(TestSafetensors)
#include "test_safetensors.moc"
