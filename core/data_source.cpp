#include "data_source.h"

#include "fashion_mnist.h"
#include "point_csv.h"
#include "toy_data.h"

#include <stdexcept>

namespace cdrl {

namespace {

constexpr int64_t kToyPoints = 50000;

std::string after(const std::string& spec, const std::string& prefix) {
  return spec.size() > prefix.size() ? spec.substr(prefix.size() + 1) : std::string();
}

bool startsWith(const std::string& s, const std::string& prefix) {
  return s.compare(0, prefix.size(), prefix) == 0 &&
         (s.size() == prefix.size() || s[prefix.size()] == ':');
}

}  // namespace

Dataset loadDataset(const std::string& spec, uint64_t seed) {
  try {
    if (startsWith(spec, "toy")) {
      std::string rest = after(spec, "toy");
      int64_t n = kToyPoints;
      if (auto colon = rest.find(':'); colon != std::string::npos) {
        n = std::stoll(rest.substr(colon + 1));
        rest = rest.substr(0, colon);
        if (n < 2) throw std::invalid_argument("a toy data set needs at least 2 points");
      }
      return makeToyDataset(toyShapeFromString(rest), n, seed);
    }
    if (startsWith(spec, "csv")) return readPointCsv(after(spec, "csv"));
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

std::string dataSpecHelp() {
  return "use toy:<8gaussians|checkerboard|moons|swissroll|rings>[:n], csv:<file>, "
         "fashion-mnist[:dir] or fashion-mnist-test[:dir]";
}

}  // namespace cdrl
