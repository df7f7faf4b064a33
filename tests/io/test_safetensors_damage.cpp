// Damaged safetensors files: truncation, flipped bytes, garbage header lengths and malformed
// headers each give a FormatError naming the problem.
#include "safetensors_fixtures.h"

#include "runtime/limits.h"

#include <QtTest>

#include <sys/stat.h>

using namespace fixtures;

class TestSafetensorsDamage : public QObject {
  Q_OBJECT

 private Q_SLOTS:
  void init() { QVERIFY(scratch_.make()); }
  void cleanup() { scratch_.reset(); }

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
  void fifoIsRefusedWithoutWaiting();
  void tensorsBeyondMemoryRefusedFromTheHeader();
  void garbageTokenIsNotEchoed();

 private:
  QString pathFor(const QString& name) const { return scratch_.pathFor(name); }

  ScratchDir scratch_;
};

void TestSafetensorsDamage::truncatedFile_data() {
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

void TestSafetensorsDamage::truncatedFile() {
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

void TestSafetensorsDamage::flippedDataByteIsCorrupted_data() {
  QTest::addColumn<QString>("where");
  QTest::newRow("first data byte") << "first";
  QTest::newRow("middle data byte") << "middle";
  QTest::newRow("last data byte") << "last";
}

void TestSafetensorsDamage::flippedDataByteIsCorrupted() {
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

void TestSafetensorsDamage::flippedHeaderByteIsRejected() {
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

void TestSafetensorsDamage::garbageHeaderLength_data() {
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

void TestSafetensorsDamage::garbageHeaderLength() {
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

void TestSafetensorsDamage::malformedHeader_data() {
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

void TestSafetensorsDamage::malformedHeader() {
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

void TestSafetensorsDamage::missingFileNamesPath() {
  const QString path = pathFor("does-not-exist.safetensors");
  const QString message = readError(path);
  QVERIFY2(message.contains(path), qPrintable(message));

  // A directory opens on Linux but cannot be read as a file.
  const QString dirMessage = readError(scratch_.path());
  QVERIFY2(dirMessage.contains(scratch_.path()), qPrintable(dirMessage));
}

// Opening a FIFO would wait for a writer forever.
void TestSafetensorsDamage::fifoIsRefusedWithoutWaiting() {
  const QString path = pathFor("fifo.safetensors");
  QCOMPARE(::mkfifo(path.toLocal8Bit().constData(), 0600), 0);
  const QString message = readError(path);
  QVERIFY2(message.contains("not a regular file"), qPrintable(message));
}

// A sparse file whose header declares one tensor larger than half this machine's memory: refused
// from the header with the sizes named, without reading (or mapping in) its data.
void TestSafetensorsDamage::tensorsBeyondMemoryRefusedFromTheHeader() {
  const int64_t elements = cdrl::limits::memoryBudget() / 4 + (int64_t{1} << 28);
  const QByteArray header = QByteArray(R"({"a":{"dtype":"F32","shape":[)") +
                            QByteArray::number(static_cast<qlonglong>(elements)) +
                            R"(],"data_offsets":[0,)" +
                            QByteArray::number(static_cast<qlonglong>(elements * 4)) + "]}}";
  const QString path = pathFor("huge.safetensors");
  QVERIFY(writeFile(path, craftFile(header, QByteArray())));
  QFile file(path);
  QVERIFY(file.resize(file.size() + elements * 4));  // sparse: no disk blocks
  const QString message = readError(path);
  QVERIFY2(message.contains("loading its tensors needs"), qPrintable(message));
  QVERIFY2(message.contains("this machine allows"), qPrintable(message));
}

// nlohmann's message quotes the last token, which here is a megabyte of the file.
void TestSafetensorsDamage::garbageTokenIsNotEchoed() {
  const QString path = pathFor("garbage.safetensors");
  QVERIFY(writeFile(path, craftFile(QByteArray(R"({"a":)") + QByteArray(1 << 20, 'x'), {})));
  const QString message = readError(path);
  QVERIFY2(message.contains("not valid JSON"), qPrintable(message.left(300)));
  QVERIFY2(message.size() < 300, qPrintable(message.left(300)));
}

QTEST_APPLESS_MAIN(TestSafetensorsDamage)
#include "test_safetensors_damage.moc"
