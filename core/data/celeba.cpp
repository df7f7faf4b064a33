#include "data/celeba.h"

#include "data/image_io.h"
#include "io/atomic_file.h"

#include <opencv2/imgcodecs.hpp>

#include <algorithm>
#include <cerrno>
#include <cstring>
#include <filesystem>
#include <fstream>
#include <sstream>
#include <stdexcept>
#include <unordered_map>
#include <vector>

namespace cdrl {
namespace {

namespace fs = std::filesystem;

constexpr char kImageFolder[] = "img_align_celeba";
constexpr char kAttrFile[] = "list_attr_celeba.txt";
constexpr char kPartitionFile[] = "list_eval_partition.txt";

[[noreturn]] void fail(const std::string& path, const std::string& what) {
  throw std::runtime_error(path + ": " + what);
}

[[noreturn]] void failAt(const std::string& path, int line, const std::string& what) {
  throw std::runtime_error(path + ":" + std::to_string(line) + ": " + what);
}

std::vector<std::string> fieldsOf(const std::string& line) {
  std::istringstream in(line);
  std::vector<std::string> fields;
  for (std::string field; in >> field;) fields.push_back(field);
  return fields;
}

std::ifstream openList(const std::string& path) {
  std::ifstream in(path);
  if (!in) fail(path, std::string("cannot open: ") + std::strerror(errno));
  return in;
}

struct AttributeTable {
  std::vector<std::string> names;
  std::unordered_map<std::string, size_t> row_of;  // image file -> row
  std::vector<int64_t> values;                     // rows x names.size(), 0/1
};

AttributeTable readAttributes(const std::string& path) {
  auto in = openList(path);
  AttributeTable table;
  std::string text;
  if (!std::getline(in, text)) fail(path, "empty file; expected the image count on line 1");
  int64_t declared = -1;
  {
    const auto fields = fieldsOf(text);
    std::size_t used = 0;
    try {
      if (fields.size() == 1) declared = std::stoll(fields[0], &used);
    } catch (const std::logic_error&) {
      declared = -1;
    }
    if (fields.size() != 1 || used != fields[0].size() || declared < 0) {
      failAt(path, 1, "expected the image count, found '" + text + "'");
    }
  }
  if (!std::getline(in, text)) fail(path, "missing line 2 with the attribute names");
  table.names = fieldsOf(text);
  if (table.names.empty()) failAt(path, 2, "expected the attribute names");
  const size_t a_count = table.names.size();
  for (int line = 3; std::getline(in, text); ++line) {
    const auto fields = fieldsOf(text);
    if (fields.empty()) continue;
    if (fields.size() != 1 + a_count) {
      failAt(path, line,
             "expected '<file>' and " + std::to_string(a_count) + " values of 1 or -1, found " +
                 std::to_string(fields.size() - 1) + " values");
    }
    for (size_t a = 0; a < a_count; ++a) {
      const auto& v = fields[1 + a];
      if (v != "1" && v != "-1" && v != "0") {
        failAt(path, line, "attribute " + table.names[a] + " is '" + v + "', expected 1 or -1");
      }
      table.values.push_back(v == "1" ? 1 : 0);
    }
    if (!table.row_of.emplace(fields[0], table.row_of.size()).second) {
      failAt(path, line, "image " + fields[0] + " is listed twice");
    }
  }
  if (in.bad()) fail(path, "read error");
  if (static_cast<int64_t>(table.row_of.size()) != declared) {
    fail(path, "line 1 declares " + std::to_string(declared) + " images but " +
                   std::to_string(table.row_of.size()) + " are listed");
  }
  return table;
}

// The image files of partition `code`, in file order.
std::vector<std::string> readPartition(const std::string& path, int code) {
  auto in = openList(path);
  std::vector<std::string> files;
  std::string text;
  for (int line = 1; std::getline(in, text); ++line) {
    const auto fields = fieldsOf(text);
    if (fields.empty()) continue;
    if (fields.size() != 2 || fields[1].size() != 1 || fields[1][0] < '0' || fields[1][0] > '2') {
      failAt(path, line, "expected '<file> 0|1|2', found '" + text + "'");
    }
    if (fields[1][0] - '0' == code) files.push_back(fields[0]);
  }
  if (in.bad()) fail(path, "read error");
  return files;
}

fs::path imageFolder(const fs::path& root) {
  const auto folder = root / kImageFolder;
  const auto nested = folder / kImageFolder;
  if (fs::is_directory(nested)) return nested;
  if (!fs::is_directory(folder)) fail(folder.string(), "folder not found");
  return folder;
}

}  // namespace

Dataset readCelebA(const std::string& root, Split split, const ImageLoadOptions& options,
                   LoadReport* report) {
  options.validate();
  LoadReport local;
  LoadReport& r = report ? *report : local;
  r = LoadReport{};
  if (!fs::is_directory(root)) fail(root, "folder not found");
  const auto attr_path = (fs::path(root) / kAttrFile).string();
  const auto partition_path = (fs::path(root) / kPartitionFile).string();
  const auto folder = imageFolder(root);
  const auto table = readAttributes(attr_path);
  const auto files = readPartition(partition_path, split == Split::Train ? 0 : 2);
  if (files.empty()) fail(partition_path, "no image belongs to the requested split");

  std::vector<std::string> paths;
  std::vector<size_t> rows;
  for (const auto& file : files) {
    const auto row = table.row_of.find(file);
    if (row == table.row_of.end()) {
      fail(attr_path, "no attributes for " + file + " (listed in " + kPartitionFile + ")");
    }
    paths.push_back((folder / file).string());
    rows.push_back(row->second);
  }

  std::vector<size_t> kept;
  Dataset dataset = decodeImageFiles(paths, options, r, &kept);
  if (r.loaded == 0 && options.limit != 0) {
    fail(folder.string(), "none of the " + std::to_string(paths.size()) +
                              " images of the split could be read (e.g. " + r.example_skipped +
                              ")");
  }
  const auto a_count = static_cast<int64_t>(table.names.size());
  auto attributes = torch::empty({static_cast<int64_t>(kept.size()), a_count}, torch::kLong);
  auto* out = attributes.data_ptr<int64_t>();
  for (size_t i = 0; i < kept.size(); ++i) {
    const int64_t* row = table.values.data() + rows[kept[i]] * a_count;
    std::copy(row, row + a_count, out + i * a_count);
  }
  dataset.name = "celeba";
  dataset.attributes = attributes;
  dataset.attribute_names = table.names;
  return dataset;
}

void writeCelebA(const Dataset& data, const std::string& root) {
  if (data.data.dim() != 4 || data.data.size(1) != 3 || !data.attributes.defined())
    throw std::runtime_error("CelebA layout: needs RGB images with attributes");
  const fs::path images = fs::path(root) / kImageFolder;
  std::error_code error;
  fs::create_directories(images, error);
  if (error) fail(images.string(), "cannot create: " + error.message());
  const int64_t n = data.size();
  const auto attributes = data.attributes.to(torch::kLong).contiguous();
  const auto a = attributes.accessor<int64_t, 2>();
  std::ostringstream attr_list, partitions;
  attr_list << n << "\n";
  for (size_t k = 0; k < data.attribute_names.size(); ++k)
    attr_list << (k ? " " : "") << data.attribute_names[k];
  attr_list << "\n";
  const std::vector<int> jpeg = {cv::IMWRITE_JPEG_QUALITY, 95};
  for (int64_t i = 0; i < n; ++i) {
    char name[32];
    std::snprintf(name, sizeof name, "%06lld.jpg", static_cast<long long>(i + 1));
    const cv::Mat bgr = toImageGrid(data.data.slice(0, i, i + 1), 1, /*padding=*/0);
    const std::string path = (images / name).string();
    writePng(path, bgr, jpeg);
    attr_list << name;
    for (int64_t k = 0; k < attributes.size(1); ++k) attr_list << (a[i][k] ? "  1" : " -1");
    attr_list << "\n";
    const int partition = i < n * 8 / 10 ? 0 : (i < n * 9 / 10 ? 1 : 2);
    partitions << name << ' ' << partition << "\n";
  }
  for (const auto& [file, text] :
       {std::pair{kAttrFile, attr_list.str()}, std::pair{kPartitionFile, partitions.str()}}) {
    writeFileAtomically((fs::path(root) / file).string(), text);
  }
}

}  // namespace cdrl
