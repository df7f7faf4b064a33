#include "data/image_folder.h"

#include "data/image_header.h"
#include "runtime/limits.h"

#include <ATen/Parallel.h>

#include <opencv2/imgcodecs.hpp>
#include <opencv2/imgproc.hpp>

#include <algorithm>
#include <cctype>
#include <cerrno>
#include <cmath>
#include <cstdio>
#include <cstring>
#include <filesystem>
#include <fstream>
#include <iterator>
#include <stdexcept>

namespace cdrl {
namespace {

constexpr double kMaxImageFileBytes = 512.0 * (1 << 20);  // compressed; decoded size is checked too

namespace fs = std::filesystem;

// Files decoded per parallel batch: large enough to keep the threads busy, small enough that a
// limit stops the work soon after it is reached.
constexpr size_t kDecodeBatch = 256;

std::string lower(std::string s) {
  std::transform(s.begin(), s.end(), s.begin(),
                 [](unsigned char c) { return static_cast<char>(std::tolower(c)); });
  return s;
}

bool isHidden(const fs::path& path) {
  const auto name = path.filename().string();
  return !name.empty() && name.front() == '.';
}

std::string sizeText(int width, int height) {
  return std::to_string(width) + "×" + std::to_string(height);
}

std::string joined(const std::vector<std::string>& parts) {
  std::string out;
  for (const auto& part : parts) out += (out.empty() ? "" : ", ") + part;
  return out;
}

// Any supported depth to CV_32F with values on the 8-bit scale 0..255.
cv::Mat toFloat255(const cv::Mat& image, std::vector<std::string>& steps) {
  cv::Mat out;
  switch (image.depth()) {
    case CV_8U:
      image.convertTo(out, CV_32F);
      break;
    case CV_16U:
      image.convertTo(out, CV_32F, 1.0 / 257.0);  // 65535 -> 255
      steps.push_back("16-bit values scaled to 8-bit");
      break;
    case CV_32F:
    case CV_64F:
      image.convertTo(out, CV_32F, 255.0);  // floating-point images are taken as 0..1
      steps.push_back("floating-point values scaled from 0..1");
      break;
    default:
      throw std::runtime_error("unsupported pixel type (depth " + std::to_string(image.depth()) +
                               ")");
  }
  return out;
}

// 1, 2 (grey + alpha), 3 (BGR) or 4 (BGRA) channels to `channels` (1 grey or 3 RGB).
cv::Mat toChannels(const cv::Mat& image, int channels, std::vector<std::string>& steps) {
  const int found = image.channels();
  cv::Mat colour;  // grey (1) or BGR (3), alpha dropped
  switch (found) {
    case 1:
    case 3:
      colour = image;
      break;
    case 2:
      cv::extractChannel(image, colour, 0);
      break;
    case 4:
      cv::cvtColor(image, colour, cv::COLOR_BGRA2BGR);
      break;
    default:
      throw std::runtime_error("unsupported channel count " + std::to_string(found));
  }
  cv::Mat out;
  if (channels == 1) {
    if (colour.channels() == 3) {
      cv::cvtColor(colour, out, cv::COLOR_BGR2GRAY);
    } else {
      out = colour;
    }
  } else {
    cv::cvtColor(colour, out, colour.channels() == 1 ? cv::COLOR_GRAY2RGB : cv::COLOR_BGR2RGB);
  }
  if (found != channels) {
    steps.push_back("converted " + std::to_string(found) + "→" + std::to_string(channels) +
                    " channels" + (found == 2 || found == 4 ? " (alpha dropped)" : ""));
  }
  return out;
}

// Resize so the short side is `size`, then keep the centre size x size square.
cv::Mat resizeAndCrop(const cv::Mat& input, int size, std::vector<std::string>& steps) {
  const int short_side = std::min(input.cols, input.rows);
  // A long thin image keeps only the centre part the crop below can show (at most twice as long
  // as wide), so that resizing it cannot blow up: 1 000 000×1 would become 32 000 000×32.
  const int keep = 2 * short_side;
  const cv::Mat image =
      input.cols > keep   ? input(cv::Rect((input.cols - keep) / 2, 0, keep, input.rows))
      : input.rows > keep ? input(cv::Rect(0, (input.rows - keep) / 2, input.cols, keep))
                          : input;
  if (image.size() != input.size())
    steps.push_back("kept the centre " + sizeText(image.cols, image.rows) + " of " +
                    sizeText(input.cols, input.rows));
  const int width = image.cols;
  const int height = image.rows;
  cv::Mat resized = image;
  if (short_side != size) {
    const double factor = static_cast<double>(size) / short_side;
    const int new_width =
        width == short_side ? size : std::max(size, static_cast<int>(std::lround(width * factor)));
    const int new_height = height == short_side
                               ? size
                               : std::max(size, static_cast<int>(std::lround(height * factor)));
    const int interpolation = short_side > size ? cv::INTER_AREA : cv::INTER_LINEAR;
    cv::resize(image, resized, cv::Size(new_width, new_height), 0, 0, interpolation);
    steps.push_back("resized " + sizeText(width, height) + " → " + sizeText(new_width, new_height));
  }
  if (resized.cols == size && resized.rows == size) return resized;
  const cv::Rect centre((resized.cols - size) / 2, (resized.rows - size) / 2, size, size);
  steps.push_back("centre-cropped to " + sizeText(size, size));
  return resized(centre);
}

std::vector<uint8_t> readBytes(const std::string& path) {
  // Not a FIFO or device (reading one would wait forever), and not more than an image can be.
  std::error_code error;
  const auto status = fs::status(path, error);
  if (!error && !fs::is_regular_file(status))
    throw std::runtime_error(path + ": not a regular file");
  const auto file_bytes = fs::file_size(path, error);
  if (!error && file_bytes > kMaxImageFileBytes)
    throw std::runtime_error(path + ": " + limits::formatBytes(static_cast<double>(file_bytes)) +
                             " is more than an image file may be (" +
                             limits::formatBytes(kMaxImageFileBytes) + ")");
  std::ifstream in(path, std::ios::binary);
  if (!in) throw std::runtime_error(path + ": cannot open: " + std::strerror(errno));
  std::vector<uint8_t> bytes((std::istreambuf_iterator<char>(in)),
                             std::istreambuf_iterator<char>());
  if (in.bad()) throw std::runtime_error(path + ": read error");
  return bytes;
}

// Refuses, from the header alone, an image whose decoded pixels would pass the limits.
void checkDecodedSize(const std::string& path, const std::vector<uint8_t>& bytes) {
  const auto size = imageSizeFromHeader(bytes);
  if (!size) throw std::runtime_error(path + ": not a PNG, JPEG, BMP, WebP, TIFF or PNM image");
  const double pixels = static_cast<double>(size->width) * static_cast<double>(size->height);
  if (size->width < 1 || size->height < 1 || size->width > limits::kMaxImageSide ||
      size->height > limits::kMaxImageSide ||
      pixels > static_cast<double>(limits::kMaxImagePixels)) {
    char text[160];
    std::snprintf(text, sizeof text,
                  ": image is %lld×%lld pixels; the limit is %lld per side and %.1f megapixels",
                  static_cast<long long>(size->width), static_cast<long long>(size->height),
                  static_cast<long long>(limits::kMaxImageSide),
                  static_cast<double>(limits::kMaxImagePixels) / 1e6);
    throw std::runtime_error(path + text);
  }
}

struct Decoded {
  torch::Tensor image;  // undefined when the file could not be used
  std::string error;    // "<path>: <reason>" otherwise
};

Decoded decodeOne(const std::string& path, const ImageLoadOptions& options) {
  try {
    return {loadImage(path, options), {}};
  } catch (const std::exception& e) {
    return {{}, e.what()};
  }
}

[[noreturn]] void failNoneReadable(const std::string& dir, size_t files, const LoadReport& report) {
  throw std::runtime_error(dir + ": none of the " + std::to_string(files) +
                           " image files could be read (e.g. " + report.example_skipped + ")");
}

}  // namespace

void ImageLoadOptions::validate() const {
  if (size < 1 || size > 4096) {
    throw std::invalid_argument("ImageLoadOptions.size must be in 1..4096, got " +
                                std::to_string(size));
  }
  if (channels != 1 && channels != 3) {
    throw std::invalid_argument("ImageLoadOptions.channels must be 1 or 3, got " +
                                std::to_string(channels));
  }
  if (limit < -1) {
    throw std::invalid_argument("ImageLoadOptions.limit must be -1 (all) or >= 0, got " +
                                std::to_string(limit));
  }
}

const std::vector<std::string>& imageExtensions() {
  static const std::vector<std::string> extensions = {".png", ".jpg",  ".jpeg", ".bmp", ".webp",
                                                      ".tif", ".tiff", ".pgm",  ".ppm"};
  return extensions;
}

bool hasImageExtension(const std::string& path) {
  const auto extension = lower(fs::path(path).extension().string());
  const auto& known = imageExtensions();
  return std::find(known.begin(), known.end(), extension) != known.end();
}

std::vector<std::string> listImageFiles(const std::string& dir, int64_t* ignored) {
  std::error_code error;
  if (!fs::exists(dir, error)) throw std::runtime_error(dir + ": folder not found");
  if (!fs::is_directory(dir, error)) throw std::runtime_error(dir + ": not a folder");
  std::vector<std::string> paths;
  fs::recursive_directory_iterator it(dir, fs::directory_options::skip_permission_denied, error);
  for (; !error && it != fs::recursive_directory_iterator(); it.increment(error)) {
    // Hidden entries (".git", "._photo.jpg" from macOS) are never data.
    if (isHidden(it->path())) {
      if (it->is_directory(error)) it.disable_recursion_pending();
      continue;
    }
    if (!it->is_regular_file(error)) continue;
    if (hasImageExtension(it->path().string())) {
      paths.push_back(it->path().string());
    } else if (ignored) {
      ++*ignored;
    }
  }
  if (error) throw std::runtime_error(dir + ": cannot list: " + error.message());
  std::sort(paths.begin(), paths.end());
  return paths;
}

torch::Tensor imageToTensor(const cv::Mat& image, const ImageLoadOptions& options,
                            std::string* note) {
  options.validate();
  if (image.empty()) throw std::runtime_error("empty image");
  std::vector<std::string> steps;
  const int size = static_cast<int>(options.size);
  cv::Mat pixels = toFloat255(image, steps);
  pixels = toChannels(pixels, options.channels, steps);
  pixels = resizeAndCrop(pixels, size, steps);
  if (!pixels.isContinuous()) pixels = pixels.clone();
  // HWC float -> an owned CHW copy in [-1, 1]; NaN (float images only) becomes black.
  auto tensor = torch::from_blob(pixels.data, {size, size, options.channels}, torch::kFloat)
                    .permute({2, 0, 1})
                    .clone(at::MemoryFormat::Contiguous);
  tensor.nan_to_num_(0).div_(127.5).sub_(1).clamp_(-1, 1);
  if (note) *note = joined(steps);
  return tensor;
}

torch::Tensor loadImage(const std::string& path, const ImageLoadOptions& options,
                        std::string* note) {
  options.validate();
  if (fs::is_directory(path)) throw std::runtime_error(path + ": is a folder, not an image");
  const auto bytes = readBytes(path);
  if (bytes.empty()) throw std::runtime_error(path + ": empty file");
  checkDecodedSize(path, bytes);
  cv::Mat image;
  try {
    image = cv::imdecode(bytes, cv::IMREAD_UNCHANGED);
  } catch (const cv::Exception& e) {
    throw std::runtime_error(path + ": not a decodable image (" + e.err + ")");
  }
  if (image.empty()) throw std::runtime_error(path + ": not a decodable image");
  try {
    return imageToTensor(image, options, note);
  } catch (const std::runtime_error& e) {
    throw std::runtime_error(path + ": " + e.what());
  } catch (const cv::Exception& e) {
    throw std::runtime_error(path + ": " + e.err);
  }
}

Dataset decodeImageFiles(const std::vector<std::string>& paths, const ImageLoadOptions& options,
                         LoadReport& report, std::vector<size_t>* kept) {
  options.validate();
  const size_t wanted =
      options.limit < 0 ? paths.size() : std::min(paths.size(), static_cast<size_t>(options.limit));
  std::vector<torch::Tensor> images;
  size_t next = 0;
  while (images.size() < wanted && next < paths.size()) {
    // Decode in parallel, then keep the results in path order so the outcome is deterministic.
    const size_t count = std::min({kDecodeBatch, wanted - images.size(), paths.size() - next});
    std::vector<Decoded> decoded(count);
    at::parallel_for(0, static_cast<int64_t>(count), 1, [&](int64_t begin, int64_t end) {
      for (int64_t i = begin; i < end; ++i) decoded[i] = decodeOne(paths[next + i], options);
    });
    for (size_t i = 0; i < count; ++i) {
      if (decoded[i].image.defined()) {
        images.push_back(decoded[i].image);
        if (kept) kept->push_back(next + i);
      } else {
        ++report.skipped;
        if (report.example_skipped.empty()) report.example_skipped = decoded[i].error;
      }
    }
    next += count;
  }
  report.loaded = static_cast<int64_t>(images.size());
  Dataset dataset;
  dataset.data = images.empty() ? torch::empty({0, options.channels, options.size, options.size})
                                : torch::stack(images);
  dataset.shift = {0};
  dataset.scale = {1};
  dataset.random_flip = options.random_flip;
  return dataset;
}

Dataset readImageFolder(const std::string& dir, const ImageLoadOptions& options,
                        LoadReport* report) {
  options.validate();
  LoadReport local;
  LoadReport& r = report ? *report : local;
  r = LoadReport{};
  const auto paths = listImageFiles(dir, &r.ignored);
  if (paths.empty()) {
    throw std::runtime_error(dir +
                             ": no image files found (png, jpg, jpeg, bmp, webp, tif, "
                             "tiff, pgm, ppm)");
  }
  Dataset dataset = decodeImageFiles(paths, options, r);
  if (r.loaded == 0 && options.limit != 0) failNoneReadable(dir, paths.size(), r);
  dataset.name = "folder:" + dir;
  return dataset;
}

Dataset readClassFolders(const std::string& dir, const ImageLoadOptions& options,
                         LoadReport* report) {
  options.validate();
  LoadReport local;
  LoadReport& r = report ? *report : local;
  r = LoadReport{};
  std::error_code error;
  if (!fs::exists(dir, error)) throw std::runtime_error(dir + ": folder not found");
  if (!fs::is_directory(dir, error)) throw std::runtime_error(dir + ": not a folder");
  std::vector<fs::path> subfolders;
  for (fs::directory_iterator it(dir, error); !error && it != fs::directory_iterator();
       it.increment(error)) {
    if (isHidden(it->path())) continue;
    if (it->is_directory(error)) {
      subfolders.push_back(it->path());
    } else if (it->is_regular_file(error)) {
      ++r.ignored;  // files beside the class folders belong to no class
    }
  }
  if (error) throw std::runtime_error(dir + ": cannot list: " + error.message());
  std::sort(subfolders.begin(), subfolders.end());

  std::vector<std::string> class_names;
  std::vector<std::string> paths;
  std::vector<int64_t> path_labels;
  for (const auto& folder : subfolders) {
    const auto files = listImageFiles(folder.string(), &r.ignored);
    if (files.empty()) continue;
    const auto label = static_cast<int64_t>(class_names.size());
    class_names.push_back(folder.filename().string());
    paths.insert(paths.end(), files.begin(), files.end());
    path_labels.insert(path_labels.end(), files.size(), label);
  }
  if (class_names.empty()) {
    throw std::runtime_error(dir +
                             ": no subfolder holds image files (expected one subfolder "
                             "of images per class)");
  }
  std::vector<size_t> kept;
  Dataset dataset = decodeImageFiles(paths, options, r, &kept);
  if (r.loaded == 0 && options.limit != 0) failNoneReadable(dir, paths.size(), r);
  std::vector<int64_t> labels;
  labels.reserve(kept.size());
  for (size_t index : kept) labels.push_back(path_labels[index]);
  dataset.labels = torch::tensor(labels, torch::kLong);
  dataset.class_names = std::move(class_names);
  dataset.name = "classes:" + dir;
  return dataset;
}

}  // namespace cdrl
