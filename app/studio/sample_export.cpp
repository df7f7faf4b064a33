#include "sample_export.h"

#include <QDir>
#include <QFile>
#include <QImageReader>
#include <QJsonArray>
#include <QJsonDocument>
#include <QJsonObject>
#include <QPainter>

namespace cdrl::studio {

namespace {

QJsonObject toJson(const RunRecord& r) {
  const SampleSettings& s = r.settings;
  QJsonArray concepts;
  for (const auto& [label, weight] : s.concepts)
    concepts.append(QJsonObject{{"label", label}, {"weight", weight}});
  return {{"checkpoint", r.checkpoint},
          {"count", s.count},
          {"seed", QString::number(s.seed)},  // 64-bit: a string, as JSON numbers are doubles
          {"steps", s.steps},
          {"noise", s.noise},
          {"ema", s.use_ema},
          {"class", s.label},
          {"guidance", s.guidance},
          {"concepts", concepts}};
}

std::optional<RunRecord> fromJson(const QJsonObject& o) {
  if (!o.contains("checkpoint") || !o.contains("seed")) return std::nullopt;
  RunRecord r;
  SampleSettings& s = r.settings;
  r.checkpoint = o["checkpoint"].toString();
  bool ok = false;
  s.seed = o["seed"].toString().toULongLong(&ok);
  if (!ok) return std::nullopt;
  s.count = o["count"].toInt(s.count);
  s.steps = o["steps"].toInt(s.steps);
  s.noise = o["noise"].toBool(s.noise);
  s.use_ema = o["ema"].toBool(s.use_ema);
  s.label = o["class"].toInt(s.label);
  s.guidance = o["guidance"].toDouble(s.guidance);
  for (const auto& c : o["concepts"].toArray())
    s.concepts.push_back({c.toObject()["label"].toInt(), c.toObject()["weight"].toDouble()});
  return r;
}

}  // namespace

QImage stamped(QImage image, const RunRecord& record) {
  image.setText(kRecordKey, QJsonDocument(toJson(record)).toJson(QJsonDocument::Compact));
  return image;
}

std::optional<RunRecord> readRecord(const QString& png_path) {
  QImageReader reader(png_path);
  const QString text = reader.text(kRecordKey);
  if (text.isEmpty()) return std::nullopt;
  const QJsonDocument doc = QJsonDocument::fromJson(text.toUtf8());
  if (!doc.isObject()) return std::nullopt;
  return fromJson(doc.object());
}

QImage levelStrip(const LevelFrame& frame) {
  const QVector<QImage>* columns[] = {&frame.x_i, &frame.proposal, &frame.refined,
                                      &frame.difference};
  const int rows = static_cast<int>(frame.refined.size());
  if (rows == 0) return {};
  const QSize cell = frame.refined.first().size();
  constexpr int kGap = 2;
  QImage strip(4 * (cell.width() + kGap) - kGap, rows * (cell.height() + kGap) - kGap,
               QImage::Format_RGB32);
  strip.fill(Qt::white);
  QPainter painter(&strip);
  for (int c = 0; c < 4; ++c)
    for (int r = 0; r < rows && r < columns[c]->size(); ++r)
      painter.drawImage(c * (cell.width() + kGap), r * (cell.height() + kGap), (*columns[c])[r]);
  return strip;
}

QString exportTrace(const QString& folder, const QVector<LevelFrame>& frames, const QImage& grid,
                    const RunRecord& record) {
  if (!QDir().mkpath(folder)) return QString("cannot create %1").arg(folder);
  const QDir dir(folder);
  QJsonArray levels;
  for (const LevelFrame& frame : frames) {
    const QString name = QString("level_%1.png").arg(frame.level);
    if (!stamped(levelStrip(frame), record).save(dir.filePath(name), "PNG"))
      return QString("cannot write %1").arg(dir.filePath(name));
    QJsonArray energy, displacement;
    for (double e : frame.step_energy) energy.append(e);
    for (double d : frame.step_displacement) displacement.append(d);
    levels.append(QJsonObject{{"level", frame.level},
                              {"file", name},
                              {"energy_proposal", frame.energy_proposal},
                              {"energy_refined", frame.energy_refined},
                              {"step_energy", energy},
                              {"step_displacement", displacement}});
  }
  QJsonObject description{{"settings", toJson(record)},
                          {"columns", QJsonArray{"x_i", "proposal", "refined", "difference"}},
                          {"levels", levels}};
  if (!grid.isNull()) {
    if (!stamped(grid, record).save(dir.filePath("samples.png"), "PNG"))
      return QString("cannot write %1").arg(dir.filePath("samples.png"));
    description["samples"] = "samples.png";
  }
  QFile json(dir.filePath("trace.json"));
  if (!json.open(QIODevice::WriteOnly) || json.write(QJsonDocument(description).toJson()) < 0)
    return QString("cannot write %1").arg(json.fileName());
  return {};
}

}  // namespace cdrl::studio
