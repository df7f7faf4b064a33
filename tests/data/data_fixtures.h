// Fixtures for the data suites: per-shape statistical checks of toy data, IDX files, scratch files.
#pragma once
#include <ATen/CPUGeneratorImpl.h>
#include <zlib.h>
#include <opencv2/imgcodecs.hpp>

#include <QDir>
#include <QFile>
#include "test_support.h"

#include <QtTest>

#include <cmath>
#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <functional>
#include <vector>

#include "data/fashion_mnist.h"
#include "data/image_io.h"
#include "data/point_csv.h"
#include "data/toy_data.h"

using namespace cdrl;

Q_DECLARE_METATYPE(cdrl::ToyShape)

namespace fixtures {

constexpr double kPi = 3.14159265358979323846;
constexpr int64_t kToyPoints = 4000;

torch::Generator seeded(uint64_t seed) { return at::make_generator<at::CPUGeneratorImpl>(seed); }

std::string tmpPath(const std::string& name) {
  return (std::filesystem::path(CDRL_TEST_TMP) / "test_data" / name).string();
}

void writeText(const std::string& path, const std::string& text) {
  std::filesystem::create_directories(std::filesystem::path(path).parent_path());
  std::ofstream(path, std::ios::binary) << text;
}

using cdrl::test::contains;
using cdrl::test::errorOf;

torch::Tensor radiusOf(const torch::Tensor& p) { return p.norm(2, /*dim=*/1); }

// Minimum over `centres` of |value - centre|, elementwise.
torch::Tensor distanceToNearest(const torch::Tensor& value, const std::vector<double>& centres) {
  auto best = torch::full_like(value, 1e9);
  for (double c : centres) best = torch::minimum(best, (value - c).abs());
  return best;
}

// --- Per-shape statistical checks; each would fail for a different shape. --------------------

void checkEightGaussians(const torch::Tensor& p) {
  const auto k = torch::arange(8, torch::kFloat) * (kPi / 4);
  const auto centres = torch::stack({torch::cos(k), torch::sin(k)}, 1) * 0.75;
  const auto distance = torch::cdist(p, centres);  // [n, 8]
  const auto [nearest, which] = distance.min(1);
  QVERIFY2(nearest.max().item<float>() < 0.2, "a point is not within 0.2 of any centre");
  const auto counts = torch::bincount(which, {}, 8);
  const int64_t expected = p.size(0) / 8;
  QVERIFY2((counts - expected).abs().max().item<int64_t>() < 100, "centres are unevenly used");
}

void checkCheckerboard(const torch::Tensor& p) {
  const auto col = torch::floor(p.select(1, 0) * 2).to(torch::kLong);  // -2..1
  const auto row = torch::floor(p.select(1, 1) * 2).to(torch::kLong);
  QVERIFY2(torch::remainder(col + row, 2).eq(0).all().item<bool>(), "a point in an empty cell");
  const auto counts = torch::bincount((row + 2) * 4 + (col + 2), {}, 16);
  const int64_t expected = p.size(0) / 8;
  for (int cell = 0; cell < 16; ++cell) {
    const bool occupied = ((cell / 4) + (cell % 4)) % 2 == 0;
    const int64_t count = counts[cell].item<int64_t>();
    QVERIFY2(occupied ? std::abs(count - expected) < 100 : count == 0, "uneven board");
  }
}

int64_t countIn(const torch::Tensor& p, double x_lo, double x_hi, double y_lo, double y_hi) {
  const auto x = p.select(1, 0);
  const auto y = p.select(1, 1);
  return (x.gt(x_lo) & x.lt(x_hi) & y.gt(y_lo) & y.lt(y_hi)).sum().item<int64_t>();
}

// Two arcs of radius 0.6 centred on (-0.3, -0.15) and (0.3, 0.15): the cloud is centred, spans
// about +-0.9 by +-0.45, and the origin and two opposite corners are empty.
void checkMoons(const torch::Tensor& p) {
  QVERIFY(p.mean(0).abs().max().item<float>() < 0.05);
  const auto lo = std::get<0>(p.min(0));
  const auto hi = std::get<0>(p.max(0));
  QVERIFY(lo[0].item<float>() < -0.85 && lo[0].item<float>() > -1.0);
  QVERIFY(hi[0].item<float>() > 0.85 && hi[0].item<float>() < 1.0);
  QVERIFY(lo[1].item<float>() < -0.4 && lo[1].item<float>() > -0.6);
  QVERIFY(hi[1].item<float>() > 0.4 && hi[1].item<float>() < 0.6);
  QCOMPARE(countIn(p, -0.1, 0.1, -0.1, 0.1), 0);
  QCOMPARE(countIn(p, 0.5, 1, 0.3, 1), 0);
  QCOMPARE(countIn(p, -1, -0.5, -1, -0.3), 0);
}

// r = 0.2 t / pi with angle t: the radius minus 0.2 phi / pi is a multiple of 0.4 (one turn).
void checkSwissRoll(const torch::Tensor& p) {
  const auto r = radiusOf(p);
  QVERIFY(r.min().item<float>() > 0.2 && r.max().item<float>() < 1.0);
  QVERIFY(std::abs(r.mean().item<float>() - 0.6) < 0.03);
  const auto phi = torch::atan2(p.select(1, 1), p.select(1, 0));
  const auto offset = torch::remainder(r - phi * (0.2 / kPi), 0.4);
  const auto off_arm = torch::minimum(offset, 0.4 - offset);
  QVERIFY2(off_arm.max().item<float>() < 0.1, "a point lies between the arms of the spiral");
}

void checkRings(const torch::Tensor& p) {
  const std::vector<double> radii = {0.25, 0.5, 0.75};
  const auto r = radiusOf(p);
  QVERIFY2(distanceToNearest(r, radii).max().item<float>() < 0.125, "a point between rings");
  for (double ring : radii) {
    const int64_t count = (r - ring).abs().lt(0.125).sum().item<int64_t>();
    QVERIFY2(std::abs(count - p.size(0) / 3) < 150, "rings are unevenly used");
  }
}

// --- IDX fixtures. ----------------------------------------------------------------------------

void putBigEndian(std::string& out, uint32_t v) {
  for (int shift = 24; shift >= 0; shift -= 8) out.push_back(static_cast<char>((v >> shift) & 255));
}

std::string idxBytes(uint32_t magic, const std::vector<uint32_t>& dims, const std::string& body) {
  std::string out;
  putBigEndian(out, magic);
  for (auto d : dims) putBigEndian(out, d);
  return out + body;
}

void writeGz(const std::string& path, const std::string& bytes) {
  std::filesystem::create_directories(std::filesystem::path(path).parent_path());
  gzFile f = gzopen(path.c_str(), "wb");
  QVERIFY(f != nullptr);
  QCOMPARE(gzwrite(f, bytes.data(), static_cast<unsigned>(bytes.size())),
           static_cast<int>(bytes.size()));
  QCOMPARE(gzclose(f), Z_OK);
}

// Image i is filled with byte 40 * i; label i is (3 * i) % 10.
std::string imageBody(int n) {
  std::string body;
  for (int i = 0; i < n; ++i) body.append(28 * 28, static_cast<char>(40 * i));
  return body;
}
std::string labelBody(int n) {
  std::string body;
  for (int i = 0; i < n; ++i) body.push_back(static_cast<char>((3 * i) % 10));
  return body;
}

}  // namespace fixtures
