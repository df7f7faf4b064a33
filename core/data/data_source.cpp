#include "data/data_source.h"

#include "data/celeba.h"
#include "data/cifar10.h"
#include "data/faces_data.h"
#include "data/fashion_mnist.h"
#include "data/image_folder.h"
#include "data/point_csv.h"
#include "data/shapes_data.h"
#include "data/toy_data.h"
#include "runtime/limits.h"

#include <cstdio>
#include <stdexcept>

namespace cdrl {

namespace {

constexpr int64_t kToyPoints = 50000;
constexpr int64_t kShapesImages = 20000;
constexpr int64_t kFacesImages = 20000;

// Skipped files are worth a line on stderr, not a failure (PRODUCT.md: never a crash).
Dataset reported(Dataset data, const LoadReport& report) {
  if (report.skipped > 0)
    std::fprintf(stderr, "%s: skipped %lld unreadable files, e.g. %s\n", data.name.c_str(),
                 static_cast<long long>(report.skipped), report.example_skipped.c_str());
  return data;
}

// "<n>" after a prefix, or the default when absent; refused before generation when the data set
// would not fit in memory (`example_bytes` each).
int64_t countAfter(const std::string& rest, int64_t fallback, double example_bytes) {
  if (rest.empty()) return fallback;
  const int64_t n = limits::parseCount(rest, "the count", 2, int64_t{1} << 40);
  limits::checkMemory(std::to_string(n) + " generated examples", n * example_bytes);
  return n;
}

constexpr double kPointBytes = 2 * sizeof(float);
constexpr double kImageBytes = 3 * 32 * 32 * sizeof(float);  // shapes and faces: 32×32 RGB

std::string after(const std::string& spec, const std::string& prefix) {
  return spec.size() > prefix.size() ? spec.substr(prefix.size() + 1) : std::string();
}

bool startsWith(const std::string& s, const std::string& prefix) {
  return s.compare(0, prefix.size(), prefix) == 0 &&
         (s.size() == prefix.size() || s[prefix.size()] == ':');
}

}  // namespace

Dataset loadDataset(const std::string& spec, uint64_t seed, const ImageLoadOptions& image) {
  try {
    if (startsWith(spec, "toy")) {
      std::string rest = after(spec, "toy");
      int64_t n = kToyPoints;
      if (auto colon = rest.find(':'); colon != std::string::npos) {
        n = countAfter(rest.substr(colon + 1), kToyPoints, kPointBytes);
        rest = rest.substr(0, colon);
      }
      return makeToyDataset(toyShapeFromString(rest), n, seed);
    }
    if (startsWith(spec, "csv")) return readPointCsv(after(spec, "csv"));
    if (startsWith(spec, "shapes"))
      return makeShapesDataset(countAfter(after(spec, "shapes"), kShapesImages, kImageBytes), seed);
    if (startsWith(spec, "faces"))
      return makeFacesDataset(countAfter(after(spec, "faces"), kFacesImages, kImageBytes), seed);
    if (startsWith(spec, "cifar10-test"))
      return readCifar10(after(spec, "cifar10-test"), Split::Test);
    if (startsWith(spec, "cifar10")) return readCifar10(after(spec, "cifar10"), Split::Train);
    LoadReport report;
    if (startsWith(spec, "celeba-test"))
      return reported(readCelebA(after(spec, "celeba-test"), Split::Test, image, &report), report);
    if (startsWith(spec, "celeba"))
      return reported(readCelebA(after(spec, "celeba"), Split::Train, image, &report), report);
    if (startsWith(spec, "folder"))
      return reported(readImageFolder(after(spec, "folder"), image, &report), report);
    if (startsWith(spec, "classes"))
      return reported(readClassFolders(after(spec, "classes"), image, &report), report);
    if (startsWith(spec, "fashion-mnist-test")) {
      const auto dir = after(spec, "fashion-mnist-test");
      return readFashionMnist(dir.empty() ? defaultFashionMnistDir() : dir, Split::Test);
    }
    if (startsWith(spec, "fashion-mnist")) {
      const auto dir = after(spec, "fashion-mnist");
      return readFashionMnist(dir.empty() ? defaultFashionMnistDir() : dir, Split::Train);
    }
  } catch (const std::logic_error& e) {  // invalid_argument, out_of_range from parsing
    throw std::runtime_error("data '" + spec + "': " + e.what());
  }
  throw std::runtime_error("data '" + spec + "' not understood; " + dataSpecHelp());
}

HeldOutData heldOutData(const std::string& spec, uint64_t training_seed) {
  // Far from any seed a user picks by hand, so held-out generated data never repeats training data.
  constexpr uint64_t kHeldOutSeedOffset = 1000003;
  if (startsWith(spec, "toy") || startsWith(spec, "shapes") || startsWith(spec, "faces"))
    return {spec, training_seed + kHeldOutSeedOffset};
  for (const char* name : {"fashion-mnist", "cifar10", "celeba"}) {
    const std::string test = std::string(name) + "-test";
    if (startsWith(spec, test)) return {spec, 0};
    if (startsWith(spec, name)) return {test + spec.substr(std::string(name).size()), 0};
  }
  return {};
}

std::string dataSpecHelp() {
  return "use toy:<8gaussians|checkerboard|moons|swissroll|rings>[:n], csv:<file>, "
         "fashion-mnist[-test][:dir], shapes[:n], faces[:n], cifar10[-test]:<dir>, "
         "celeba[-test]:<root>, "
         "folder:<dir> or classes:<dir>";
}

}  // namespace cdrl
