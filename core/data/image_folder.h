// Image data sets from the user's own files: a plain folder of images, one subfolder per class,
// and single images (for OOD scoring). Decoded with OpenCV, resized so the short side is `size`,
// centre-cropped to size x size and scaled x / 127.5 - 1 into [-1, 1] (ALGORITHM.md §2).
#pragma once

#include <torch/torch.h>

#include <opencv2/core.hpp>

#include <cstdint>
#include <string>
#include <vector>

#include "data/dataset.h"

namespace cdrl {

struct ImageLoadOptions {
  int64_t size = 32;        // output side: images become size x size
  int channels = 3;         // 1 (grey) or 3 (RGB, in that order in the tensor)
  bool random_flip = true;  // copied to Dataset::random_flip (horizontal flip augmentation)
  int64_t limit = -1;       // >= 0: keep only the first `limit` readable images (sorted order)

  // Throws std::invalid_argument naming the bad field.
  void validate() const;
};

struct LoadReport {
  int64_t loaded = 0;           // images in the data set
  int64_t skipped = 0;          // image files (by extension) that could not be read
  std::string example_skipped;  // the first skipped file and why: "<path>: <reason>"
  int64_t ignored = 0;          // files without an image extension, left alone
};

// Lower-case extensions, with the dot, that count as images: .png .jpg .jpeg .bmp .webp .tif
// .tiff .pgm .ppm (matched case-insensitively).
const std::vector<std::string>& imageExtensions();
bool hasImageExtension(const std::string& path);

// Every file under `dir` (recursively) with an image extension, sorted by path. Files with other
// extensions are counted in *ignored when given. Throws std::runtime_error naming `dir` when it
// is missing or not a folder.
std::vector<std::string> listImageFiles(const std::string& dir, int64_t* ignored = nullptr);

// Converts a decoded image (CV_8U, CV_16U, CV_32F or CV_64F, with 1, 2, 3 or 4 channels, OpenCV's
// BGR(A) order) to float32 [C, size, size] in [-1, 1], C = options.channels in RGB order:
// 16-bit values are divided by 257 and float values (taken as 0..1) multiplied by 255 first;
// alpha is dropped; grey <-> colour is converted; the short side is resized to `size` (INTER_AREA
// when shrinking, INTER_LINEAR when enlarging), then the centre size x size square is kept.
// `note`, when given, receives what was done, in order ("converted 3→1 channels, resized
// 640×480 → 43×32, centre-cropped to 32×32"), or "" when the image was used as is. Throws
// std::runtime_error for an empty image or an unsupported pixel type.
torch::Tensor imageToTensor(const cv::Mat& image, const ImageLoadOptions& options,
                            std::string* note = nullptr);

// One image file as float32 [C, size, size] in [-1, 1] (see imageToTensor). Throws
// std::runtime_error naming `path` when it cannot be opened or decoded.
torch::Tensor loadImage(const std::string& path, const ImageLoadOptions& options,
                        std::string* note = nullptr);

// Decodes the given files in order into one Dataset (data [N, C, size, size], shift {0}, scale
// {1}, random_flip from the options, no name or labels). Unreadable files are skipped and
// recorded in `report`; `kept`, when given, receives the index into `paths` of each example.
// At most options.limit images are kept when limit >= 0. Never throws for a bad file.
Dataset decodeImageFiles(const std::vector<std::string>& paths, const ImageLoadOptions& options,
                         LoadReport& report, std::vector<size_t>* kept = nullptr);

// All images under `dir`, recursively, in sorted path order; name "folder:<dir>", unlabelled.
// Throws std::runtime_error naming `dir` when it is missing, holds no image files, or none of
// them can be read (the message gives one example and its reason).
Dataset readImageFolder(const std::string& dir, const ImageLoadOptions& options,
                        LoadReport* report = nullptr);

// One subfolder of `dir` per class: class_names are the sorted names of the subfolders holding
// at least one image file (searched recursively; hidden folders starting with '.' and files
// directly in `dir` are left out), labels int64 [N] index them. options.limit counts images over
// all classes, in class order. name "classes:<dir>". Throws std::runtime_error naming `dir` when
// no subfolder holds images or none can be read.
Dataset readClassFolders(const std::string& dir, const ImageLoadOptions& options,
                         LoadReport* report = nullptr);

}  // namespace cdrl
