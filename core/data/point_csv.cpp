#include "data/point_csv.h"

#include "io/atomic_file.h"
#include "io/text.h"

#include <algorithm>
#include <array>
#include <cerrno>
#include <cmath>
#include <cstdlib>
#include <cstring>
#include <fstream>
#include <limits>
#include <optional>
#include <sstream>
#include <stdexcept>

namespace cdrl {
namespace {

using Point = std::array<double, 2>;

std::vector<std::string> splitFields(const std::string& line) {
  std::vector<std::string> fields;
  size_t start = 0;
  while (true) {
    const auto comma = line.find(',', start);
    fields.push_back(trim(line.substr(start, comma - start)));
    if (comma == std::string::npos) return fields;
    start = comma + 1;
  }
}

// strtod accepts "nan" and "inf", which is what lets the caller report them as non-finite rather
// than as malformed.
std::optional<double> parseNumber(const std::string& field) {
  if (field.empty()) return std::nullopt;
  char* end = nullptr;
  errno = 0;
  const double value = std::strtod(field.c_str(), &end);
  if (end != field.c_str() + field.size()) return std::nullopt;
  if (errno == ERANGE && std::isinf(value)) return std::numeric_limits<double>::infinity();
  return value;
}

[[noreturn]] void failAt(const std::string& path, int line, const std::string& what) {
  throw std::runtime_error(path + ":" + std::to_string(line) + ": " + what);
}

bool isHeader(const std::vector<std::string>& fields) {
  return std::none_of(fields.begin(), fields.end(),
                      [](const std::string& f) { return parseNumber(f).has_value(); });
}

Point parsePoint(const std::vector<std::string>& fields, const std::string& path, int line) {
  if (fields.size() != 2) failAt(path, line, "expected two numbers 'x,y'");
  Point p{};
  for (size_t i = 0; i < 2; ++i) {
    const auto value = parseNumber(fields[i]);
    if (!value) failAt(path, line, "expected two numbers 'x,y'");
    if (!std::isfinite(*value)) failAt(path, line, "non-finite value '" + fields[i] + "'");
    p[i] = *value;
  }
  return p;
}

std::vector<Point> parsePoints(std::istream& in, const std::string& path) {
  std::vector<Point> points;
  std::string text;
  bool first_content_line = true;
  for (int line = 1; std::getline(in, text); ++line) {
    if (trim(text).empty()) continue;
    const auto fields = splitFields(text);
    const bool header = first_content_line && isHeader(fields);
    first_content_line = false;
    if (!header) points.push_back(parsePoint(fields, path, line));
  }
  if (in.bad()) throw std::runtime_error(path + ": read error");
  return points;
}

// Midrange and half-range per coordinate; a constant coordinate keeps scale 1 so it maps to 0
// instead of dividing by zero.
void fitAffine(const std::vector<Point>& points, std::vector<double>& shift,
               std::vector<double>& scale) {
  shift.assign(2, 0);
  scale.assign(2, 1);
  for (size_t d = 0; d < 2; ++d) {
    double lo = points.front()[d];
    double hi = lo;
    for (const auto& p : points) {
      lo = std::min(lo, p[d]);
      hi = std::max(hi, p[d]);
    }
    shift[d] = 0.5 * (lo + hi);
    const double half_range = 0.5 * (hi - lo);
    if (half_range > 0 && std::isfinite(half_range)) scale[d] = half_range;
  }
}

torch::Tensor normalise(const std::vector<Point>& points, const std::vector<double>& shift,
                        const std::vector<double>& scale) {
  const auto n = static_cast<int64_t>(points.size());
  auto data = torch::empty({n, 2}, torch::kFloat);
  auto a = data.accessor<float, 2>();
  for (int64_t i = 0; i < n; ++i) {
    for (int64_t d = 0; d < 2; ++d) {
      const double v = (points[i][d] - shift[d]) / scale[d];
      // Rounding to float can push an extreme a hair past +-1.
      a[i][d] = static_cast<float>(std::clamp(v, -1.0, 1.0));
    }
  }
  return data;
}

}  // namespace

Dataset readPointCsv(const std::string& path) {
  std::ifstream in(path);
  if (!in) throw std::runtime_error("cannot open " + path + ": " + std::strerror(errno));
  const auto points = parsePoints(in, path);
  if (points.empty()) throw std::runtime_error(path + ": empty file, no points 'x,y' found");
  if (points.size() < 2) {
    throw std::runtime_error(path + ": need at least 2 points, found " +
                             std::to_string(points.size()));
  }
  Dataset dataset;
  dataset.name = "csv:" + path;
  fitAffine(points, dataset.shift, dataset.scale);
  dataset.data = normalise(points, dataset.shift, dataset.scale);
  return dataset;
}

void writePointCsv(const std::string& path, const torch::Tensor& points,
                   const std::vector<double>& shift, const std::vector<double>& scale) {
  if (points.dim() != 2 || points.size(1) != 2) {
    throw std::invalid_argument("writePointCsv: points must be [N, 2], got " +
                                c10::str(points.sizes()));
  }
  if (shift.size() != 2 || scale.size() != 2) {
    throw std::invalid_argument("writePointCsv: shift and scale need 2 entries each");
  }
  std::ostringstream out;
  out.precision(std::numeric_limits<double>::max_digits10);
  out << "x,y\n";
  const auto p = points.detach().to(torch::kCPU, torch::kDouble).contiguous();
  const auto a = p.accessor<double, 2>();
  for (int64_t i = 0; i < p.size(0); ++i) {
    out << a[i][0] * scale[0] + shift[0] << ',' << a[i][1] * scale[1] + shift[1] << '\n';
  }
  writeFileAtomically(path, out.str());
}

}  // namespace cdrl
