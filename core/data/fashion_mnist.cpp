#include "data/fashion_mnist.h"

#include <zlib.h>

#include <algorithm>
#include <cerrno>
#include <cstdlib>
#include <cstring>
#include <filesystem>
#include <memory>
#include <stdexcept>
#include <vector>

namespace cdrl {
namespace {

constexpr uint32_t kImageMagic = 2051;  // IDX: unsigned byte, 3 dimensions
constexpr uint32_t kLabelMagic = 2049;  // IDX: unsigned byte, 1 dimension
constexpr int64_t kSide = 28;
constexpr int64_t kClasses = 10;

const std::vector<std::string>& classNames() {
  static const std::vector<std::string> names = {"T-shirt/top", "Trouser",   "Pullover", "Dress",
                                                 "Coat",        "Sandal",    "Shirt",    "Sneaker",
                                                 "Bag",         "Ankle boot"};
  return names;
}

[[noreturn]] void fail(const std::string& path, const std::string& what) {
  throw std::runtime_error(path + ": " + what);
}

// gzread reads plain files transparently, so one reader serves both layouts.
class GzFile {
 public:
  explicit GzFile(const std::string& path) : m_path(path), m_file(gzopen(path.c_str(), "rb")) {
    if (!m_file) fail(path, std::string("cannot open: ") + std::strerror(errno));
    gzbuffer(m_file, 1 << 18);
  }
  ~GzFile() { gzclose(m_file); }
  GzFile(const GzFile&) = delete;
  GzFile& operator=(const GzFile&) = delete;

  // Reads up to `size` bytes; fewer only at the end of the data.
  size_t read(uint8_t* buffer, size_t size) {
    size_t done = 0;
    while (done < size) {
      const auto chunk = static_cast<unsigned>(std::min<size_t>(size - done, 1u << 30));
      const int got = gzread(m_file, buffer + done, chunk);
      if (got < 0) fail(m_path, std::string("read error: ") + errorMessage());
      if (got == 0) break;
      done += static_cast<size_t>(got);
    }
    // A cut gzip stream ends early without gzread failing; zlib records it as Z_BUF_ERROR.
    if (done < size && gzError() == Z_BUF_ERROR) fail(m_path, "truncated gzip stream");
    return done;
  }

  bool atEnd() {
    uint8_t byte;
    const bool end = gzread(m_file, &byte, 1) == 0;
    if (end && gzError() == Z_BUF_ERROR) fail(m_path, "truncated gzip stream");
    return end;
  }

 private:
  int gzError() {
    int code = Z_OK;
    gzerror(m_file, &code);
    return code;
  }
  std::string errorMessage() {
    int code = Z_OK;
    const char* message = gzerror(m_file, &code);
    return code == Z_ERRNO ? std::strerror(errno) : message;
  }

  std::string m_path;
  gzFile m_file;
};

uint32_t bigEndian(const uint8_t* bytes) {
  return (uint32_t{bytes[0]} << 24) | (uint32_t{bytes[1]} << 16) | (uint32_t{bytes[2]} << 8) |
         uint32_t{bytes[3]};
}

struct IdxHeader {
  std::vector<int64_t> dims;
};

IdxHeader readHeader(GzFile& file, const std::string& path, uint32_t magic, size_t rank) {
  std::vector<uint8_t> bytes(4 * (1 + rank));
  if (file.read(bytes.data(), bytes.size()) != bytes.size()) {
    fail(path,
         "truncated IDX header (file shorter than " + std::to_string(bytes.size()) + " bytes)");
  }
  const uint32_t found = bigEndian(bytes.data());
  if (found != magic) {
    fail(path,
         "bad IDX magic number " + std::to_string(found) + ", expected " + std::to_string(magic));
  }
  IdxHeader header;
  for (size_t i = 0; i < rank; ++i) header.dims.push_back(bigEndian(&bytes[4 * (i + 1)]));
  return header;
}

// Reads `count` records of `record` bytes, and with `whole_file` checks nothing follows them.
// The buffer grows as data arrives so a corrupt header cannot demand a huge allocation up front.
std::vector<uint8_t> readRecords(GzFile& file, const std::string& path, int64_t count,
                                 int64_t record, int64_t declared, bool whole_file) {
  const auto wanted = static_cast<size_t>(count * record);
  constexpr size_t kChunk = size_t{1} << 22;
  std::vector<uint8_t> bytes;
  while (bytes.size() < wanted) {
    const size_t start = bytes.size();
    bytes.resize(start + std::min(kChunk, wanted - start));
    const size_t got = file.read(bytes.data() + start, bytes.size() - start);
    if (got != bytes.size() - start) {
      fail(path, "truncated: header declares " + std::to_string(declared) + " items but only " +
                     std::to_string((start + got) / record) + " complete items follow");
    }
  }
  if (whole_file && !file.atEnd()) fail(path, "unexpected bytes after the declared items");
  return bytes;
}

std::string idxPath(const std::string& dir, Split split, const std::string& kind) {
  const std::string base =
      std::string(split == Split::Train ? "train" : "t10k") + "-" + kind + "-ubyte";
  const auto plain = std::filesystem::path(dir) / base;
  const auto gz = std::filesystem::path(dir) / (base + ".gz");
  if (std::filesystem::exists(gz)) return gz.string();
  if (std::filesystem::exists(plain)) return plain.string();
  throw std::runtime_error(gz.string() + ": not found (nor " + plain.string() +
                           "); set CDRL_FASHION_MNIST_DIR to the Fashion-MNIST folder");
}

int64_t examplesToRead(int64_t count, int64_t limit) {
  return limit < 0 ? count : std::min(count, limit);
}

torch::Tensor readImages(const std::string& path, int64_t limit, int64_t& declared) {
  GzFile file(path);
  const auto header = readHeader(file, path, kImageMagic, 3);
  if (header.dims[1] != kSide || header.dims[2] != kSide) {
    fail(path, "images are " + std::to_string(header.dims[1]) + "x" +
                   std::to_string(header.dims[2]) + ", expected 28x28");
  }
  declared = header.dims[0];
  const int64_t n = examplesToRead(declared, limit);
  auto pixels = readRecords(file, path, n, kSide * kSide, declared, limit < 0);
  return torch::from_blob(pixels.data(), {n, 1, kSide, kSide}, torch::kUInt8)
      .to(torch::kFloat)
      .div_(127.5)
      .sub_(1);
}

torch::Tensor readLabels(const std::string& path, int64_t limit, int64_t& declared) {
  GzFile file(path);
  declared = readHeader(file, path, kLabelMagic, 1).dims[0];
  const int64_t n = examplesToRead(declared, limit);
  auto bytes = readRecords(file, path, n, 1, declared, limit < 0);
  for (size_t i = 0; i < bytes.size(); ++i) {
    if (bytes[i] >= kClasses) {
      fail(path, "label " + std::to_string(bytes[i]) + " of item " + std::to_string(i) +
                     " is outside 0..9");
    }
  }
  return torch::from_blob(bytes.data(), {n}, torch::kUInt8).to(torch::kLong);
}

}  // namespace

std::string defaultFashionMnistDir() {
  const char* env = std::getenv("CDRL_FASHION_MNIST_DIR");
  if (env && *env) return env;
  return "/usr/share/datasets/fashion-mnist";
}

Dataset readFashionMnist(const std::string& dir, Split split, int64_t limit) {
  const auto images_path = idxPath(dir, split, "images-idx3");
  const auto labels_path = idxPath(dir, split, "labels-idx1");
  int64_t image_count = 0;
  int64_t label_count = 0;
  Dataset dataset;
  dataset.data = readImages(images_path, limit, image_count);
  dataset.labels = readLabels(labels_path, limit, label_count);
  if (image_count != label_count) {
    throw std::runtime_error(images_path + " holds " + std::to_string(image_count) +
                             " images but " + labels_path + " holds " +
                             std::to_string(label_count) + " labels");
  }
  dataset.name = "fashion-mnist";
  dataset.class_names = classNames();
  dataset.shift = {0};
  dataset.scale = {1};
  dataset.random_flip = false;
  return dataset;
}

}  // namespace cdrl
