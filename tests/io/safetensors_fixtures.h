// Files and tensors for the safetensors suites: an independent CRC-32, random bit patterns,
// hand-laid files and a fresh folder per test function.
#pragma once

#include "io/safetensors.h"

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

namespace fixtures {

// A fresh temporary folder for each test function: make() in init(), reset() in cleanup().
class ScratchDir {
 public:
  bool make() {
    QDir().mkpath(CDRL_TEST_TMP);
    dir_ = std::make_unique<QTemporaryDir>(QStringLiteral(CDRL_TEST_TMP "/safetensors-XXXXXX"));
    return dir_->isValid();
  }
  void reset() { dir_.reset(); }
  QString path() const { return dir_->path(); }
  QString pathFor(const QString& name) const { return dir_->filePath(name); }
  QStringList entries() const {
    return QDir(dir_->path()).entryList(QDir::AllEntries | QDir::Hidden | QDir::NoDotAndDotDot);
  }

 private:
  std::unique_ptr<QTemporaryDir> dir_;
};

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

}  // namespace fixtures
