// Parses a data-set specification given by a user (CLI, app) into a Dataset — strings are parsed
// here, once, at the edge.
//   toy:<shape>[:<n>]          8gaussians, checkerboard, moons, swissroll, rings (n default 50000)
//   csv:<path>                 x,y per line, optional header
//   fashion-mnist[:<dir>]      gzip IDX files; dir defaults to $CDRL_FASHION_MNIST_DIR or
//                              /usr/share/datasets/fashion-mnist
//   fashion-mnist-test[:<dir>] the 10 000-image test split
//   shapes[:<n>]               procedural 32×32 images with 5 binary attributes (n default 20000)
//   faces[:<n>]                procedural 32×32 cartoon faces with 6 of CelebA's attributes
//                              (n default 20000)
//   cifar10[-test]:<dir>       CIFAR-10 binary batches
//   celeba[-test]:<root>       CelebA aligned JPEGs with attributes and partitions
//   folder:<dir>               every image below dir (unlabelled)
//   classes:<dir>              one subfolder per class
// Image files are resized, centre-cropped and converted as `image` says (size, channels).
#pragma once

#include "data/dataset.h"
#include "data/image_folder.h"

#include <string>

namespace cdrl {

// Throws std::runtime_error with a one-line reason.
Dataset loadDataset(const std::string& spec, uint64_t seed = 0, const ImageLoadOptions& image = {});

// Data to measure a model trained on `spec` against, drawn apart from its training examples: the
// test split of fashion-mnist, cifar10 and celeba; for generated data (toy, shapes) the same
// specification drawn with another seed. Empty `spec` when there is none (folders, CSV).
struct HeldOutData {
  std::string spec;
  uint64_t seed = 0;
};
HeldOutData heldOutData(const std::string& spec, uint64_t training_seed = 0);

// One line describing accepted specifications, for --help.
std::string dataSpecHelp();

}  // namespace cdrl
