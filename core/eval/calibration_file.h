// A typicality calibration (eval/typicality) stored with its model: extra tensors and one
// metadata entry in the checkpoint itself, or in a side file beside it
// (`<checkpoint>.calibration.safetensors`) when the checkpoint cannot be written, as the studio's
// cache. docs/checkpoint-format.md lists the entries.
#pragma once

#include "eval/typicality.h"
#include "io/checkpoint.h"

#include <optional>
#include <string>

namespace cdrl {

// Adds the calibration's tensors (`calibration/…`) and metadata entry ("calibration") to `file`,
// replacing any earlier calibration.
void storeCalibration(TensorFile& file, const Calibration& calibration);

// The calibration in `file`, or std::nullopt when it holds none; throws FormatError naming the
// problem when one is there but damaged.
std::optional<Calibration> calibrationFrom(const TensorFile& file);

// Writes the calibration into the checkpoint at `path` (atomically: the other tensors and entries
// unchanged).
void writeCalibration(const std::string& path, const Calibration& calibration);

// The side file of the checkpoint at `path`.
std::string calibrationSidePath(const std::string& path);

// Writes the calibration alone to the side file of the checkpoint at `path`, whose weights have
// seen `step` optimiser steps.
void writeCalibrationSide(const std::string& path, int64_t step, const Calibration& calibration);

// The checkpoint's own calibration, else its side file's (when written for the checkpoint's
// step), else std::nullopt.
std::optional<Calibration> findCalibration(const Checkpoint& checkpoint);

}  // namespace cdrl
