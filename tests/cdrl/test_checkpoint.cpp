// Checkpoints: bit-exact round trip, and a clean FormatError for every kind of bad file.
#include "cdrl/model_checkpoint.h"
#include "cdrl/sampler.h"
#include "data/toy_data.h"
#include "model_support.h"
#include "test_support.h"

#include <QtTest>

#include <fstream>
#include <iterator>

using namespace cdrl;

namespace {

std::string readAll(const std::string& path) {
  std::ifstream in(path, std::ios::binary);
  return {std::istreambuf_iterator<char>(in), {}};
}

void writeAll(const std::string& path, const std::string& bytes) {
  std::ofstream(path, std::ios::binary | std::ios::trunc) << bytes;
}

bool bitEqual(const torch::Tensor& a, const torch::Tensor& b) {
  return a.sizes() == b.sizes() && a.scalar_type() == b.scalar_type() &&
         std::memcmp(a.contiguous().data_ptr(), b.contiguous().data_ptr(), a.nbytes()) == 0;
}

// Every parameter and buffer of two networks, compared bit for bit.
bool sameState(torch::nn::Module& a, torch::nn::Module& b) {
  auto pb = b.named_parameters();
  for (auto& item : a.named_parameters())
    if (!bitEqual(item.value(), pb[item.key()])) return false;
  auto bb = b.named_buffers();
  for (auto& item : a.named_buffers())
    if (!bitEqual(item.value(), bb[item.key()])) return false;
  return true;
}

}  // namespace

class TestCheckpoint : public QObject {
  Q_OBJECT

 private:
  std::string m_dir;
  std::string m_good;
  std::unique_ptr<Model> m_model;
  std::unique_ptr<Dataset> m_data;
  std::unique_ptr<Trainer> m_trainer;

  void expectError(const std::string& path, const char* needle) {
    try {
      readCheckpoint(path);
      QFAIL("no error");
    } catch (const FormatError& e) {
      const std::string what = e.what();
      QVERIFY2(what.find(needle) != std::string::npos, what.c_str());
      QVERIFY2(what.find(path) != std::string::npos, what.c_str());
    }
  }

 private Q_SLOTS:
  void initTestCase() {
    m_dir = test::tempDir("checkpoint");
    m_good = m_dir + "/good.safetensors";
    torch::manual_seed(3);
    m_model = std::make_unique<Model>(test::smallToyConfig(), torch::kCPU);
    m_data = std::make_unique<Dataset>(makeToyDataset(ToyShape::EightGaussians, 512, 1));
    TrainOptions options;
    options.batch = 32;
    options.warmup = 1;
    m_trainer = std::make_unique<Trainer>(*m_model, *m_data, options);
    for (int k = 0; k < 3; ++k) m_trainer->step();  // non-trivial weights, EMA and Adam moments
    saveCheckpoint(m_good, *m_model, m_trainer.get());
  }

  void roundTripIsBitExact() {
    const Checkpoint c = readCheckpoint(m_good);
    QCOMPARE(c.step, int64_t{3});
    QVERIFY(c.resumable);
    QCOMPARE(toJson(c.config).dump(), toJson(m_model->config()).dump());
    // The run's options come back, so `--resume` continues with the same batch and rates.
    QVERIFY(c.training.has_value());
    QCOMPARE(c.training->batch, int64_t{32});
    QCOMPARE(c.training->warmup, int64_t{1});
    QCOMPARE(toJson(*c.training).dump(), toJson(m_trainer->options()).dump());
    auto loaded = loadModel(c, torch::kCPU);
    QVERIFY(sameState(*loaded->ebm(), *m_model->ebm()));
    QVERIFY(sameState(*loaded->ebmEma(), *m_model->ebmEma()));
    QVERIFY(sameState(*loaded->initializer(), *m_model->initializer()));
    QVERIFY(sameState(*loaded->initializerEma(), *m_model->initializerEma()));
    // The EMA weights differ from the live ones after training, so both were really stored.
    QVERIFY(!sameState(*loaded->ebm(), *loaded->ebmEma()));
    // Same weights and seed → the same samples, bit for bit.
    SampleOptions options;
    options.count = 8;
    options.seed = 11;
    options.steps = 3;
    QVERIFY(bitEqual(sample(*loaded, options).samples, sample(*m_model, options).samples));
  }

  void rejectsMissingFile() { expectError(m_dir + "/absent.safetensors", "absent.safetensors"); }

  void rejectsTruncated_data() {
    QTest::addColumn<double>("fraction");
    QTest::newRow("inside the length") << 0.0005;
    QTest::newRow("inside the header") << 0.02;
    QTest::newRow("inside the data") << 0.5;
    QTest::newRow("last byte missing") << -1.0;
  }
  void rejectsTruncated() {
    QFETCH(double, fraction);
    const std::string bytes = readAll(m_good);
    const size_t keep =
        fraction < 0 ? bytes.size() - 1 : std::max<size_t>(3, bytes.size() * fraction);
    const std::string path = m_dir + "/truncated.safetensors";
    writeAll(path, bytes.substr(0, keep));
    expectError(path, "truncated");
  }

  void rejectsCorruptedData() {
    std::string bytes = readAll(m_good);
    bytes[bytes.size() - 100] ^= 0x5a;
    const std::string path = m_dir + "/corrupted.safetensors";
    writeAll(path, bytes);
    expectError(path, "corrupted");
  }

  void rejectsWrongVersion() {
    TensorFile file = readTensorFile(m_good);
    file.metadata["format_version"] = "99";
    const std::string path = m_dir + "/version.safetensors";
    writeTensorFile(path, file);
    expectError(path, "wrong version");
  }

  void rejectsForeignFile() {
    TensorFile file;
    file.tensors["weights"] = torch::ones({3});
    const std::string path = m_dir + "/foreign.safetensors";
    writeTensorFile(path, file);
    expectError(path, "not a CDRL checkpoint");
  }

  void rejectsMismatchedTensor() {
    TensorFile file = readTensorFile(m_good);
    auto& t = file.tensors.at("ebm/trunk.in.weight");
    t = torch::zeros({t.size(0) + 1, t.size(1)});
    const std::string path = m_dir + "/mismatch.safetensors";
    writeTensorFile(path, file);
    const Checkpoint c = readCheckpoint(path);
    try {
      loadModel(c, torch::kCPU);
      QFAIL("no error");
    } catch (const FormatError& e) {
      QVERIFY2(std::string(e.what()).find("mismatched: tensor 'ebm/trunk.in.weight'") !=
                   std::string::npos,
               e.what());
    }
  }

  void rejectsMissingTensor() {
    TensorFile file = readTensorFile(m_good);
    file.tensors.erase("initializer_ema/out.weight");
    const std::string path = m_dir + "/missing.safetensors";
    writeTensorFile(path, file);
    try {
      loadModel(readCheckpoint(path), torch::kCPU);
      QFAIL("no error");
    } catch (const FormatError& e) {
      QVERIFY2(std::string(e.what()).find("'initializer_ema/out.weight' is missing") !=
                   std::string::npos,
               e.what());
    }
  }

  void rejectsBadConfig() {
    TensorFile file = readTensorFile(m_good);
    auto config = nlohmann::json::parse(file.metadata["config"]);
    config["ebm"].erase("width");
    file.metadata["config"] = config.dump();
    const std::string path = m_dir + "/config.safetensors";
    writeTensorFile(path, file);
    expectError(path, "width");
  }

  void samplingCheckpointIsNotResumable() {
    const std::string path = m_dir + "/weights-only.safetensors";
    saveCheckpoint(path, *m_model);
    const Checkpoint c = readCheckpoint(path);
    QVERIFY(!c.resumable);
    try {
      restoreTrainer(c, *m_trainer);
      QFAIL("no error");
    } catch (const FormatError& e) {
      QVERIFY2(std::string(e.what()).find("cannot be resumed") != std::string::npos, e.what());
    }
  }
};

QTEST_APPLESS_MAIN(TestCheckpoint)
#include "test_checkpoint.moc"
