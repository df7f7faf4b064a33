// safetensors files that round-trip: every dtype bit for bit, metadata, the byte layout against an
// independent parse, and atomic writes.
#include "safetensors_fixtures.h"

#include <QtTest>

using namespace fixtures;

class TestSafetensors : public QObject {
  Q_OBJECT

 private Q_SLOTS:
  void init() { QVERIFY(scratch_.make()); }
  void cleanup() { scratch_.reset(); }

  void roundTripIsBitExact_data();
  void roundTripIsBitExact();
  void allDtypesInOneFile();
  void nonContiguousInputIsWrittenByValue();
  void metadataRoundTrip();
  void layoutMatchesIndependentParse();
  void readsFileWithoutChecksum();

  void overwriteLeavesNoTempFiles();
  void writeFailureNamesPathAndCleansUp_data();
  void writeFailureNamesPathAndCleansUp();
  void unsupportedDtypeWritesNothing();

 private:
  QString pathFor(const QString& name) const { return scratch_.pathFor(name); }

  ScratchDir scratch_;
};

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

void TestSafetensors::overwriteLeavesNoTempFiles() {
  const QString path = pathFor("model.safetensors");
  cdrl::TensorFile first;
  first.tensors["x"] = torch::zeros({100});
  cdrl::writeTensorFile(path.toStdString(), first);
  cdrl::TensorFile second;
  second.tensors["y"] = torch::arange(5, torch::kInt64);
  cdrl::writeTensorFile(path.toStdString(), second);

  QCOMPARE(scratch_.entries(), QStringList{"model.safetensors"});
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
  for (const QString& name : before) QVERIFY(QDir(scratch_.path()).mkpath(name + "/inside"));
  const QString path = pathFor(target);
  cdrl::TensorFile file;
  file.tensors["x"] = torch::zeros({2});

  const QString message = writeError(path, file);
  QVERIFY2(message.contains(path), qPrintable(message));
  QCOMPARE(scratch_.entries(), before);
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
  QCOMPARE(scratch_.entries(), QStringList{"complex.safetensors"});
  // The previous file is untouched.
  QVERIFY(torch::equal(cdrl::readTensorFile(path.toStdString()).tensors.at("keep"),
                       old.tensors["keep"]));
}

QTEST_APPLESS_MAIN(TestSafetensors)
#include "test_safetensors.moc"
