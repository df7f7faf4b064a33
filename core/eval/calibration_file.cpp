#include "eval/calibration_file.h"

#include "io/module_state.h"

#include <nlohmann/json.hpp>

#include <filesystem>

namespace cdrl {

namespace {

constexpr int kCalibrationVersion = 1;
const char* const kKey = "calibration";
const char* const kSideFormat = "cdrl-calibration";

torch::Tensor tensorAt(const TensorFile& file, const std::string& name) {
  const auto it = file.tensors.find("calibration/" + name);
  if (it == file.tensors.end())
    throw FormatError("calibration: tensor calibration/" + name + " is missing");
  return it->second.to(torch::kDouble);
}

}  // namespace

void storeCalibration(TensorFile& file, const Calibration& c) {
  file.metadata[kKey] = nlohmann::json{
      {"version", kCalibrationVersion},
      {"score", "typicality"},
      {"data", c.data},
      {"count", c.count},
      {"levels", c.levels},
      {"features_per_level", c.per_level},
      {"draws", c.options.draws},
      {"seed", c.options.seed},
      {"use_ema", c.options.use_ema},
      {"shrinkage",
       c.fit.shrinkage}}.dump();
  file.tensors["calibration/mean"] = c.fit.mean.to(torch::kDouble).contiguous();
  file.tensors["calibration/scale"] = c.fit.scale.to(torch::kDouble).contiguous();
  file.tensors["calibration/covariance"] = c.fit.covariance.to(torch::kDouble).contiguous();
  file.tensors["calibration/quantiles"] = c.quantiles.to(torch::kDouble).contiguous();
}

std::optional<Calibration> calibrationFrom(const TensorFile& file) {
  const auto entry = file.metadata.find(kKey);
  if (entry == file.metadata.end()) return std::nullopt;
  Calibration c;
  try {
    const auto j = nlohmann::json::parse(entry->second);
    if (j.at("version").get<int>() != kCalibrationVersion)
      throw FormatError("calibration: version " + j.at("version").dump() +
                        ", this program reads version " + std::to_string(kCalibrationVersion));
    c.data = j.at("data").get<std::string>();
    c.count = j.at("count").get<int64_t>();
    c.levels = j.at("levels").get<int>();
    c.per_level = j.at("features_per_level").get<int64_t>();
    c.options.draws = j.at("draws").get<int>();
    c.options.seed = j.at("seed").get<uint64_t>();
    c.options.use_ema = j.at("use_ema").get<bool>();
    c.fit.shrinkage = j.at("shrinkage").get<double>();
  } catch (const nlohmann::json::exception& e) {
    throw FormatError(std::string("calibration: bad metadata entry: ") + e.what());
  }
  c.fit.mean = tensorAt(file, "mean");
  c.fit.scale = tensorAt(file, "scale");
  c.fit.covariance = tensorAt(file, "covariance");
  c.quantiles = tensorAt(file, "quantiles");
  const int64_t p = c.per_level * static_cast<int64_t>(c.levels);
  if (c.levels < 1 || c.per_level < 1 || c.fit.mean.sizes() != torch::IntArrayRef{p} ||
      c.fit.scale.sizes() != torch::IntArrayRef{p} ||
      c.fit.covariance.sizes() != torch::IntArrayRef{p, p} ||
      c.quantiles.sizes() != torch::IntArrayRef{kCalibrationQuantiles})
    throw FormatError("calibration: tensor shapes do not match " + std::to_string(c.levels) +
                      " levels of " + std::to_string(c.per_level) + " features");
  return c;
}

void writeCalibration(const std::string& path, const Calibration& calibration) {
  Checkpoint checkpoint = readCheckpoint(path);
  storeCalibration(checkpoint.file, calibration);
  writeCheckpoint(path, checkpoint);
}

std::string calibrationSidePath(const std::string& path) {
  return path + ".calibration.safetensors";
}

void writeCalibrationSide(const std::string& path, int64_t step, const Calibration& calibration) {
  TensorFile file;
  file.metadata["format"] = kSideFormat;
  file.metadata["checkpoint"] = std::filesystem::path(path).filename().string();
  file.metadata["checkpoint_step"] = std::to_string(step);
  storeCalibration(file, calibration);
  writeTensorFile(calibrationSidePath(path), file);
}

std::optional<Calibration> findCalibration(const Checkpoint& checkpoint) {
  if (auto own = calibrationFrom(checkpoint.file)) return own;
  const std::string side = calibrationSidePath(checkpoint.path);
  if (!std::filesystem::exists(side)) return std::nullopt;
  const TensorFile file = readTensorFile(side);
  if (metadataField(file, "format", "calibration file") != kSideFormat)
    throw FormatError("calibration file " + side + ": not a CDRL calibration");
  // A side file of an earlier state of the checkpoint no longer fits its weights.
  if (metadataField(file, "checkpoint_step", "calibration file") != std::to_string(checkpoint.step))
    return std::nullopt;
  return calibrationFrom(file);
}

}  // namespace cdrl
