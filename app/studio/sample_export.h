// What the studio writes out: PNGs that carry the settings that made them (in a PNG text chunk,
// so dropping one back on the window restores them), per-level strips, and a whole trace as a
// folder of PNGs with a JSON description.
#pragma once

#include "level_frame.h"
#include "sample_worker.h"

#include <QImage>
#include <QString>

#include <optional>

namespace cdrl::studio {

// The settings of a run and the checkpoint they were used with.
struct RunRecord {
  QString checkpoint;
  SampleSettings settings;
};

// The PNG text key the record is stored under.
inline constexpr const char* kRecordKey = "cdrl-studio";

// `image` with the record in its text chunk, ready to save as PNG.
QImage stamped(QImage image, const RunRecord& record);
// The record in a PNG written by `stamped`; empty if the file has none (or is no image).
std::optional<RunRecord> readRecord(const QString& png_path);

// One level as a strip: a row per sample of x_i | proposal | refined | difference.
QImage levelStrip(const LevelFrame& frame);

// Writes samples.png, level_<i>.png for every frame and trace.json (settings, per-level energies
// and per-step chains, file names) into `folder`, creating it. Returns an error message, or empty.
QString exportTrace(const QString& folder, const QVector<LevelFrame>& frames, const QImage& grid,
                    const RunRecord& record);

}  // namespace cdrl::studio
