// torch.save files read without Python: values and tensors (views, offsets, dtypes) of a file
// written by real PyTorch, hand-laid archives whose pickles name forbidden globals (refused, and
// nothing runs), and damaged archives, each refused with one line naming the problem.
#include "io/torch_archive.h"

#include <QFileInfo>
#include <QProcess>
#include <QTemporaryDir>
#include <QtTest>

#include <caffe2/serialize/inline_container.h>
#include <sys/stat.h>

#include <fstream>

using namespace cdrl;
using pickle::Kind;

namespace {

// Pickle opcodes, spelled out here so the tests do not share the reader's tables.
struct PickleBytes {
  std::string b = "\x80\x02";  // PROTO 2
  PickleBytes& op(char c) { return b += c, *this; }
  PickleBytes& text(const std::string& s) {
    b += 'X';
    for (int i = 0; i < 4; ++i) b += static_cast<char>((s.size() >> (8 * i)) & 0xff);
    b += s;
    return *this;
  }
  PickleBytes& integer(uint8_t v) { return b += 'K', b += static_cast<char>(v), *this; }
  PickleBytes& global(const std::string& module, const std::string& name) {
    b += 'c' + module + '\n' + name + '\n';
    return *this;
  }
  // torch._utils._rebuild_tensor_v2(('storage', FloatStorage, key, location, numel), offset,
  // sizes, strides, False, OrderedDict())
  PickleBytes& tensor(const std::string& key, uint8_t numel, uint8_t offset,
                      std::vector<uint8_t> sizes, std::vector<uint8_t> strides) {
    global("torch._utils", "_rebuild_tensor_v2").op('(');
    op('(').text("storage").global("torch", "FloatStorage").text(key).text("cuda:0");
    integer(numel).op('t').op('Q');
    integer(offset).op('(');
    for (auto s : sizes) integer(s);
    op('t').op('(');
    for (auto s : strides) integer(s);
    op('t').op('\x89');  // NEWFALSE
    global("collections", "OrderedDict").op(')').op('R');
    return op('t').op('R');
  }
};

// Writes an archive as torch.save lays it out: <name>/data.pkl, <name>/data/<key>, <name>/version.
void writeArchive(const std::string& path, const std::string& pickleBytes,
                  const std::map<std::string, std::vector<float>>& storages) {
  caffe2::serialize::PyTorchStreamWriter writer(path);
  writer.writeRecord("data.pkl", pickleBytes.data(), pickleBytes.size());
  for (const auto& [key, values] : storages)
    writer.writeRecord("data/" + key, values.data(), values.size() * sizeof(float));
  writer.writeRecord("version", "3\n", 2);
  writer.writeEndOfFile();
}

std::string errorOpening(const std::string& path) {
  try {
    TorchArchive archive(path);
  } catch (const FormatError& e) {
    return e.what();
  }
  return {};
}

}  // namespace

class TestTorchArchive : public QObject {
  Q_OBJECT

 private Q_SLOTS:
  void init() { QVERIFY(m_dir.isValid()); }

  void readsAFileWrittenByTorchSave();
  void handLaidTensorIgnoresTheSavedDevice();
  void refusesGlobals_data();
  void refusesGlobals();
  void refusesCallingAnAllowedType();
  void damagedArchives_data();
  void damagedArchives();
  void refusesNonRegularFiles();

 private:
  std::string pathFor(const char* name) const { return m_dir.filePath(name).toStdString(); }
  // The hand-laid archive with one 2×3 tensor "w" = 0…5 in storage "0".
  std::string goodPickle() const {
    return PickleBytes{}
        .global("collections", "OrderedDict")
        .op(')')
        .op('R')
        .text("w")
        .tensor("0", 6, 0, {2, 3}, {3, 1})
        .op('s')
        .op('.')
        .b;
  }

  QTemporaryDir m_dir;
};

void TestTorchArchive::readsAFileWrittenByTorchSave() {
  const char* python = "/usr/bin/python3";
  if (!QFileInfo::exists(python)) QSKIP("no /usr/bin/python3 (packaging/install-deps.sh)");
  const auto path = pathFor("real.pth.tar");
  // Views that share a storage, an offset view, four dtypes, nested containers, big and negative
  // integers, floats, None, booleans and non-ASCII text, as an optimiser's state would hold them.
  const char* script = R"(
import sys, collections, torch
a = torch.arange(12, dtype=torch.float32).reshape(3, 4)
d = collections.OrderedDict()
d['a'] = a
d['at'] = a.t()
d['rows'] = a[1:]
d['i64'] = torch.arange(-2, 3, dtype=torch.int64)
d['f64'] = torch.tensor([0.5, -1.25], dtype=torch.float64)
d['mask'] = torch.tensor([True, False, True])
d['meta'] = {'step': 2**40, 'neg': -7, 'lr': 1e-4, 'none': None, 'flag': True,
             'name': 'gr\u00fc\u00dfe', 'list': [1, (2, 3.5)]}
torch.save(d, sys.argv[1])
)";
  QProcess process;
  process.start(python, {"-c", script, QString::fromStdString(path)});
  QVERIFY(process.waitForFinished(60000));
  if (process.exitCode() != 0 && process.readAllStandardError().contains("No module named"))
    QSKIP("python3-torch missing (packaging/install-deps.sh)");
  QCOMPARE(process.exitCode(), 0);

  TorchArchive archive(path);
  const auto& doc = archive.document();
  const auto tensor = [&](const char* key) {
    const auto* v = doc.find(doc.root, key);
    if (!v) throw std::runtime_error(std::string("no ") + key);
    return archive.read(*v);
  };
  const auto a = torch::arange(12, torch::kFloat32).reshape({3, 4});
  QVERIFY(torch::equal(tensor("a"), a));
  QVERIFY(torch::equal(tensor("at"), a.t()));
  QVERIFY(torch::equal(tensor("rows"), a.slice(0, 1)));
  QCOMPARE(doc.storages.size(), size_t{4});  // a, at and rows share one storage
  QVERIFY(torch::equal(tensor("i64"), torch::arange(-2, 3, torch::kInt64)));
  QVERIFY(torch::equal(tensor("f64"), torch::tensor({0.5, -1.25}, torch::kFloat64)));
  QVERIFY(torch::equal(tensor("mask"), torch::tensor({true, false, true})));

  const auto* meta = doc.find(doc.root, "meta");
  QVERIFY(meta);
  QCOMPARE(doc.find(*meta, "step")->integer, int64_t{1} << 40);
  QCOMPARE(doc.find(*meta, "neg")->integer, int64_t{-7});
  QCOMPARE(doc.find(*meta, "lr")->real, 1e-4);
  QCOMPARE(doc.find(*meta, "none")->kind, Kind::None);
  QCOMPARE(doc.find(*meta, "flag")->kind, Kind::Bool);
  QCOMPARE(doc.find(*meta, "flag")->integer, int64_t{1});
  QCOMPARE(QString::fromStdString(doc.find(*meta, "name")->text), QString("grüße"));
  const auto& list = doc.items(*doc.find(*meta, "list"));
  QCOMPARE(list.size(), size_t{2});
  QCOMPARE(list[0].integer, int64_t{1});
  const auto& pair = doc.items(list[1]);
  QCOMPARE(pair[0].integer, int64_t{2});
  QCOMPARE(pair[1].real, 3.5);
}

void TestTorchArchive::handLaidTensorIgnoresTheSavedDevice() {
  const auto path = pathFor("hand.pth");
  writeArchive(path, goodPickle(), {{"0", {0, 1, 2, 3, 4, 5}}});
  TorchArchive archive(path);
  const auto& doc = archive.document();
  QCOMPARE(doc.storages.at(0).location, std::string("cuda:0"));
  const auto w = archive.read(*doc.find(doc.root, "w"));
  QVERIFY(w.device().is_cpu());
  QVERIFY(torch::equal(w, torch::arange(6, torch::kFloat32).reshape({2, 3})));
}

void TestTorchArchive::refusesGlobals_data() {
  QTest::addColumn<QString>("module");
  QTest::addColumn<QString>("name");
  QTest::newRow("os.system") << "os"
                             << "system";
  QTest::newRow("posix.system") << "posix"
                                << "system";
  QTest::newRow("builtins.eval") << "builtins"
                                 << "eval";
  QTest::newRow("subprocess.Popen") << "subprocess"
                                    << "Popen";
  QTest::newRow("torch.load") << "torch"
                              << "load";
  QTest::newRow("torch._utils._rebuild_parameter") << "torch._utils"
                                                   << "_rebuild_parameter";
}

// The global is refused where it is named, before its call: the shell command never runs.
void TestTorchArchive::refusesGlobals() {
  QFETCH(QString, module);
  QFETCH(QString, name);
  const auto sentinel = pathFor("sentinel");
  const auto path = pathFor("evil.pth");
  const auto bytes = PickleBytes{}
                         .global(module.toStdString(), name.toStdString())
                         .op('(')
                         .text("touch " + sentinel)
                         .op('t')
                         .op('R')
                         .op('.')
                         .b;
  writeArchive(path, bytes, {});
  const auto message = errorOpening(path);
  QVERIFY2(message.find("refuses the global " + module.toStdString() + "." + name.toStdString()) !=
               std::string::npos,
           message.c_str());
  QVERIFY(message.find(path) != std::string::npos);
  QVERIFY(!QFileInfo::exists(QString::fromStdString(sentinel)));
}

void TestTorchArchive::refusesCallingAnAllowedType() {
  const auto path = pathFor("call.pth");
  writeArchive(path, PickleBytes{}.global("torch", "FloatStorage").op(')').op('R').op('.').b, {});
  const auto message = errorOpening(path);
  QVERIFY2(message.find("refuses to call the global torch.FloatStorage") != std::string::npos,
           message.c_str());
}

void TestTorchArchive::damagedArchives_data() {
  QTest::addColumn<QString>("damage");
  QTest::addColumn<QString>("expected");
  QTest::newRow("empty file") << "cut 0"
                              << "not a zip archive";
  QTest::newRow("cut to 100 bytes") << "cut 100"
                                    << "not a zip archive";
  QTest::newRow("cut to half") << "cut half"
                               << "not a zip archive";
  QTest::newRow("last byte missing") << "cut -1"
                                     << "not a zip archive";
  QTest::newRow("storage larger than its record") << "numel 7"
                                                  << "declares 7 elements";
  QTest::newRow("tensor past its storage") << "extent"
                                           << "reaches past the end of storage 0";
  QTest::newRow("storage without a record") << "no record"
                                            << "storage 0 has no record";
  QTest::newRow("unknown opcode") << "opcode"
                                  << "opcode 0x56 ('V') is outside the subset";
  QTest::newRow("memo read before write") << "memo"
                                          << "memo entry read before it was written";
  QTest::newRow("pickle cut short") << "short pickle"
                                    << "truncated";
  QTest::newRow("no data.pkl") << "no pickle"
                               << "no data.pkl record";
}

void TestTorchArchive::damagedArchives() {
  QFETCH(QString, damage);
  QFETCH(QString, expected);
  const auto path = pathFor("damaged.pth");
  const std::vector<float> six{0, 1, 2, 3, 4, 5};
  const auto d = damage.toStdString();
  if (d == "numel 7") {
    writeArchive(path,
                 PickleBytes{}
                     .global("collections", "OrderedDict")
                     .op(')')
                     .op('R')
                     .text("w")
                     .tensor("0", 7, 0, {7}, {1})
                     .op('s')
                     .op('.')
                     .b,
                 {{"0", six}});
  } else if (d == "extent") {
    writeArchive(path,
                 PickleBytes{}
                     .global("collections", "OrderedDict")
                     .op(')')
                     .op('R')
                     .text("w")
                     .tensor("0", 6, 1, {2, 3}, {3, 1})
                     .op('s')
                     .op('.')
                     .b,
                 {{"0", six}});
  } else if (d == "no record") {
    writeArchive(path, goodPickle(), {});
  } else if (d == "opcode") {
    writeArchive(path, PickleBytes{}.op('V').op('.').b, {});
  } else if (d == "memo") {
    writeArchive(path, PickleBytes{}.op('h').op('\x05').op('.').b, {});
  } else if (d == "short pickle") {
    writeArchive(path, goodPickle().substr(0, 40), {{"0", six}});
  } else if (d == "no pickle") {
    caffe2::serialize::PyTorchStreamWriter writer(path);
    writer.writeRecord("version", "3\n", 2);
    writer.writeEndOfFile();
  } else {  // "cut N": the good archive truncated to N bytes (negative: from the end)
    writeArchive(path, goodPickle(), {{"0", six}});
    const auto size = static_cast<int64_t>(std::filesystem::file_size(path));
    const auto arg = d.substr(4);
    const int64_t keep = arg == "half"         ? size / 2
                         : std::stoll(arg) < 0 ? size + std::stoll(arg)
                                               : std::stoll(arg);
    std::filesystem::resize_file(path, static_cast<uintmax_t>(keep));
  }
  const auto message = errorOpening(path);
  QVERIFY2(message.find(expected.toStdString()) != std::string::npos, message.c_str());
  QVERIFY2(message.rfind(path, 0) == 0, message.c_str());  // starts with the file's name
  QVERIFY(message.find('\n') == std::string::npos);
}

void TestTorchArchive::refusesNonRegularFiles() {
  const auto fifo = pathFor("fifo.pth");
  QCOMPARE(::mkfifo(fifo.c_str(), 0600), 0);
  const auto message = errorOpening(fifo);  // must not wait for a writer
  QVERIFY2(message.find("not a regular file") != std::string::npos, message.c_str());
  QVERIFY(!looksLikeTorchArchive(fifo));
  QVERIFY(errorOpening(m_dir.path().toStdString()).find("not a regular file") != std::string::npos);
}

QTEST_GUILESS_MAIN(TestTorchArchive)
#include "test_torch_archive.moc"
