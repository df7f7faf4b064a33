// CelebA (aligned and cropped faces) with its binary attributes, from the user's copy in the
// standard layout; each attribute value is a concept for composition (ALGORITHM.md §7).
#pragma once

#include <string>

#include "data/dataset.h"
#include "data/fashion_mnist.h"  // Split
#include "data/image_folder.h"   // ImageLoadOptions, LoadReport

namespace cdrl {

// Reads, under `root`:
//   img_align_celeba/<file>.jpg   (or img_align_celeba/img_align_celeba/, as some copies nest it)
//   list_attr_celeba.txt          line 1: image count; line 2: the attribute names;
//                                 then "<file> v_1 ... v_A" with each v in {1, -1} (0 also read)
//   list_eval_partition.txt       "<file> 0|1|2": 0 train, 1 validation, 2 test
// The images of `split` (Train = 0, Test = 2) in partition-file order, loaded as by
// readImageFolder (options.limit counts them). Attributes int64 [N, A] of 0/1 (-1 -> 0),
// attribute_names from line 2, random_flip from the options (true by default: faces are
// mirror-symmetric), name "celeba". A listed image that is missing
// or unreadable is skipped and recorded in `report`. Throws std::runtime_error naming the file
// (and line) for a missing list file, a malformed line, a count that disagrees with line 1, an
// image of the split without attributes, or when no image of the split can be read.
Dataset readCelebA(const std::string& root, Split split, const ImageLoadOptions& options,
                   LoadReport* report = nullptr);

// Writes `data` (images [N, 3, H, W] in [−1, 1] with binary attributes) under `root` in the layout
// readCelebA reads: img_align_celeba/000001.jpg … (JPEG quality 95), list_attr_celeba.txt (±1)
// and list_eval_partition.txt (the first 80% train, the next 10% validation, the rest test).
// Throws std::runtime_error naming the path that cannot be written.
void writeCelebA(const Dataset& data, const std::string& root);

}  // namespace cdrl
