#include "data/toy_data.h"

#include <ATen/CPUGeneratorImpl.h>

#include <cmath>
#include <stdexcept>

namespace cdrl {
namespace {

// Each shape is built at a fixed scale whose support lies inside [-1, 1] up to Gaussian tails
// beyond 5 sigma; the final clamp only guarantees the documented range for those rare tails.
constexpr double kPi = 3.14159265358979323846;
constexpr double kGaussianRadius = 0.75;
constexpr double kGaussianStd = 0.04;
constexpr double kMoonScale = 0.6;  // sklearn's moons span x in [-1, 2], y in [-0.5, 1]
constexpr double kMoonNoise = 0.03;
constexpr double kSwissRollRadius = 0.9;  // radius at the outer end of the spiral
constexpr double kSwissRollNoise = 0.02;
constexpr double kRingRadius[] = {0.25, 0.5, 0.75};
constexpr double kRingNoise = 0.025;

torch::TensorOptions floatOptions() { return torch::TensorOptions().dtype(torch::kFloat); }

torch::Tensor uniform(int64_t n, double low, double high, const torch::Generator& gen) {
  return torch::rand({n}, gen, floatOptions()) * (high - low) + low;
}

torch::Tensor gaussianNoise(int64_t n, double std, const torch::Generator& gen) {
  return torch::randn({n, 2}, gen, floatOptions()) * std;
}

torch::Tensor pointsAt(const torch::Tensor& radius, const torch::Tensor& angle) {
  return torch::stack({radius * torch::cos(angle), radius * torch::sin(angle)}, 1);
}

torch::Tensor eightGaussians(int64_t n, const torch::Generator& gen) {
  auto k = torch::randint(0, 8, {n}, gen, floatOptions());
  auto centre = pointsAt(torch::full({n}, kGaussianRadius, floatOptions()), k * (kPi / 4));
  return centre + gaussianNoise(n, kGaussianStd, gen);
}

// A 4x4 board over [-1, 1]^2 with the 8 cells where floor(2x) + floor(2y) is even occupied;
// the construction of the FFJORD toy set, halved.
torch::Tensor checkerboard(int64_t n, const torch::Generator& gen) {
  auto x = uniform(n, -2, 2, gen);
  auto row_pair = torch::randint(0, 2, {n}, gen, floatOptions());
  auto y =
      torch::rand({n}, gen, floatOptions()) - 2 * row_pair + torch::remainder(torch::floor(x), 2);
  return torch::stack({x, y}, 1) * 0.5;
}

// sklearn's make_moons, centred on the origin and scaled by kMoonScale.
torch::Tensor twoMoons(int64_t n, const torch::Generator& gen) {
  auto t = uniform(n, 0, kPi, gen);
  auto inner = torch::randint(0, 2, {n}, gen, floatOptions());
  auto outer_x = torch::cos(t);
  auto outer_y = torch::sin(t);
  auto inner_x = 1 - torch::cos(t);
  auto inner_y = 0.5 - torch::sin(t);
  auto x = torch::lerp(outer_x, inner_x, inner) - 0.5;
  auto y = torch::lerp(outer_y, inner_y, inner) - 0.25;
  return torch::stack({x, y}, 1) * kMoonScale + gaussianNoise(n, kMoonNoise, gen);
}

// sklearn's 2-D swiss roll (t cos t, t sin t) for t in [1.5 pi, 4.5 pi], scaled so the outer
// end sits at kSwissRollRadius.
torch::Tensor swissRoll(int64_t n, const torch::Generator& gen) {
  auto t = uniform(n, 1.5 * kPi, 4.5 * kPi, gen);
  auto radius = t * (kSwissRollRadius / (4.5 * kPi));
  return pointsAt(radius, t) + gaussianNoise(n, kSwissRollNoise, gen);
}

torch::Tensor rings(int64_t n, const torch::Generator& gen) {
  auto radii = torch::tensor({kRingRadius[0], kRingRadius[1], kRingRadius[2]}, floatOptions());
  auto which = torch::randint(0, 3, {n}, gen, torch::TensorOptions().dtype(torch::kLong));
  auto angle = uniform(n, 0, 2 * kPi, gen);
  return pointsAt(radii.index_select(0, which), angle) + gaussianNoise(n, kRingNoise, gen);
}

}  // namespace

std::vector<std::string> toyShapeNames() {
  std::vector<std::string> names;
  for (auto shape : {ToyShape::EightGaussians, ToyShape::Checkerboard, ToyShape::TwoMoons,
                     ToyShape::SwissRoll, ToyShape::Rings}) {
    names.push_back(toString(shape));
  }
  return names;
}

ToyShape toyShapeFromString(const std::string& name) {
  // toyShapeNames lists the shapes in enum order.
  const auto names = toyShapeNames();
  for (size_t i = 0; i < names.size(); ++i) {
    if (names[i] == name) return static_cast<ToyShape>(i);
  }
  std::string valid;
  for (const auto& n : names) valid += (valid.empty() ? "" : ", ") + n;
  throw std::invalid_argument("unknown toy shape '" + name + "' (valid: " + valid + ")");
}

std::string toString(ToyShape shape) {
  switch (shape) {
    case ToyShape::EightGaussians:
      return "8gaussians";
    case ToyShape::Checkerboard:
      return "checkerboard";
    case ToyShape::TwoMoons:
      return "moons";
    case ToyShape::SwissRoll:
      return "swissroll";
    case ToyShape::Rings:
      return "rings";
  }
  throw std::invalid_argument("invalid ToyShape value");
}

torch::Tensor sampleToy(ToyShape shape, int64_t n, torch::Generator gen) {
  if (n < 0) throw std::invalid_argument("sampleToy: n must be >= 0, got " + std::to_string(n));
  torch::Tensor points;
  switch (shape) {
    case ToyShape::EightGaussians:
      points = eightGaussians(n, gen);
      break;
    case ToyShape::Checkerboard:
      points = checkerboard(n, gen);
      break;
    case ToyShape::TwoMoons:
      points = twoMoons(n, gen);
      break;
    case ToyShape::SwissRoll:
      points = swissRoll(n, gen);
      break;
    case ToyShape::Rings:
      points = rings(n, gen);
      break;
  }
  return points.clamp(-1, 1).contiguous();
}

Dataset makeToyDataset(ToyShape shape, int64_t n, uint64_t seed) {
  Dataset dataset;
  dataset.name = "toy:" + toString(shape);
  dataset.data = sampleToy(shape, n, at::make_generator<at::CPUGeneratorImpl>(seed));
  dataset.shift = {0, 0};
  dataset.scale = {1, 1};
  return dataset;
}

}  // namespace cdrl
