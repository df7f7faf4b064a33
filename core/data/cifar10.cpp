#include "data/cifar10.h"
#include "io/text.h"

#include <algorithm>
#include <cerrno>
#include <cstring>
#include <filesystem>
#include <fstream>
#include <limits>
#include <stdexcept>

namespace cdrl {
namespace {

namespace fs = std::filesystem;

constexpr int64_t kSide = 32;
constexpr int64_t kPixels = 3 * kSide * kSide;  // R, G, B planes
constexpr int64_t kRecord = 1 + kPixels;        // label byte + pixels = 3073
constexpr int64_t kClasses = 10;

[[noreturn]] void fail(const std::string& path, const std::string& what) {
  throw std::runtime_error(path + ": " + what);
}

// The unpacked archive is <parent>/cifar-10-batches-bin/; accept either folder.
fs::path batchFolder(const std::string& dir) {
  const auto nested = fs::path(dir) / "cifar-10-batches-bin";
  if (!fs::exists(fs::path(dir) / "test_batch.bin") && fs::is_directory(nested)) return nested;
  return dir;
}

std::vector<std::string> batchFiles(const fs::path& folder, Split split) {
  std::vector<std::string> files;
  if (split == Split::Test) {
    files.push_back((folder / "test_batch.bin").string());
  } else {
    for (int i = 1; i <= 5; ++i) {
      files.push_back((folder / ("data_batch_" + std::to_string(i) + ".bin")).string());
    }
  }
  return files;
}

// Records in `path`, after checking the size is a whole number of them.
int64_t recordCount(const std::string& path) {
  std::error_code error;
  if (!fs::exists(path, error)) fail(path, "not found; expected the CIFAR-10 binary version");
  const auto bytes = static_cast<int64_t>(fs::file_size(path, error));
  if (error) fail(path, "cannot read size: " + error.message());
  if (bytes % kRecord != 0) {
    fail(path, "size " + std::to_string(bytes) + " bytes is not a multiple of the " +
                   std::to_string(kRecord) + "-byte record (truncated or not a CIFAR-10 batch)");
  }
  return bytes / kRecord;
}

// The first `count` records of one batch file into images [count, 3, 32, 32] (uint8) and labels.
void readBatch(const std::string& path, int64_t count, torch::Tensor& images,
               torch::Tensor& labels) {
  std::ifstream in(path, std::ios::binary);
  if (!in) fail(path, std::string("cannot open: ") + std::strerror(errno));
  std::vector<uint8_t> bytes(static_cast<size_t>(count * kRecord));
  in.read(reinterpret_cast<char*>(bytes.data()), static_cast<std::streamsize>(bytes.size()));
  if (in.gcount() != static_cast<std::streamsize>(bytes.size())) fail(path, "read error");
  images = torch::empty({count, 3, kSide, kSide}, torch::kUInt8);
  labels = torch::empty({count}, torch::kLong);
  auto* pixels = images.data_ptr<uint8_t>();
  auto* label = labels.data_ptr<int64_t>();
  for (int64_t i = 0; i < count; ++i) {
    const uint8_t* record = bytes.data() + i * kRecord;
    if (record[0] >= kClasses) {
      fail(path, "label " + std::to_string(record[0]) + " of record " + std::to_string(i) +
                     " is outside 0..9");
    }
    label[i] = record[0];
    std::memcpy(pixels + i * kPixels, record + 1, kPixels);
  }
}

// batches.meta.txt: one class name per line, blank lines (the file ends with some) skipped.
std::vector<std::string> readClassNames(const fs::path& folder) {
  const auto path = (folder / "batches.meta.txt").string();
  if (!fs::exists(path)) return cifar10ClassNames();
  std::ifstream in(path);
  if (!in) fail(path, std::string("cannot open: ") + std::strerror(errno));
  std::vector<std::string> names;
  for (std::string line; std::getline(in, line);) {
    if (!trim(line).empty()) names.push_back(trim(line));
  }
  if (names.size() != static_cast<size_t>(kClasses)) {
    fail(path, "expected 10 class names, one a line, found " + std::to_string(names.size()));
  }
  return names;
}

}  // namespace

const std::vector<std::string>& cifar10ClassNames() {
  static const std::vector<std::string> names = {
      "airplane", "automobile", "bird", "cat", "deer", "dog", "frog", "horse", "ship", "truck"};
  return names;
}

Dataset readCifar10(const std::string& dir, Split split, int64_t limit) {
  const auto folder = batchFolder(dir);
  const auto files = batchFiles(folder, split);
  // Check every file of the split first, so a bad batch is reported even with a small limit.
  std::vector<int64_t> counts;
  for (const auto& file : files) counts.push_back(recordCount(file));
  const auto class_names = readClassNames(folder);

  std::vector<torch::Tensor> images;
  std::vector<torch::Tensor> labels;
  int64_t remaining = limit < 0 ? std::numeric_limits<int64_t>::max() : limit;
  for (size_t f = 0; f < files.size() && remaining > 0; ++f) {
    const int64_t count = std::min(counts[f], remaining);
    torch::Tensor batch_images;
    torch::Tensor batch_labels;
    readBatch(files[f], count, batch_images, batch_labels);
    images.push_back(batch_images);
    labels.push_back(batch_labels);
    remaining -= count;
  }

  Dataset dataset;
  dataset.name = "cifar10";
  dataset.data = images.empty() ? torch::empty({0, 3, kSide, kSide})
                                : torch::cat(images).to(torch::kFloat).div_(127.5).sub_(1);
  dataset.labels = labels.empty() ? torch::empty({0}, torch::kLong) : torch::cat(labels);
  dataset.class_names = class_names;
  dataset.shift = {0};
  dataset.scale = {1};
  dataset.random_flip = true;
  return dataset;
}

}  // namespace cdrl
