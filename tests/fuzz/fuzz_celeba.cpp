// The CelebA list readers: list_attr_celeba.txt and list_eval_partition.txt cut from one input,
// beside a folder holding one real 8×8 image, 000001.jpg.
#include "data/celeba.h"
#include "fuzz_support.h"

#include <opencv2/imgcodecs.hpp>

#include <stdexcept>

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  static const bool image = [] {
    std::vector<uchar> jpg;
    cv::imencode(".jpg", cv::Mat(8, 8, CV_8UC3, cv::Scalar(40, 120, 200)), jpg);
    cdrl::fuzz::writeScratch("celeba/img_align_celeba/000001.jpg",
                             {reinterpret_cast<const char*>(jpg.data()), jpg.size()});
    return true;
  }();
  static_cast<void>(image);
  const auto [attributes, partitions] = cdrl::fuzz::split(data, size);
  cdrl::fuzz::writeScratch("celeba/list_attr_celeba.txt", attributes);
  cdrl::fuzz::writeScratch("celeba/list_eval_partition.txt", partitions);
  try {
    cdrl::readCelebA(cdrl::fuzz::scratchDir() + "/celeba", cdrl::Split::Train,
                     cdrl::ImageLoadOptions{});
  } catch (const std::exception&) {
  }
  return 0;
}
