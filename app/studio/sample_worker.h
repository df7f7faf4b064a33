// Runs core's sampler on a worker thread: loads a checkpoint, samples with the requested settings
// and streams every finished level as a LevelFrame. Lives in a QThread; the UI talks to it by
// queued invocations and signals only. cancel() is safe from any thread.
#pragma once

#include "cdrl/model.h"
#include "landscape_grid.h"
#include "level_frame.h"

#include <QObject>
#include <QPair>
#include <QString>
#include <QStringList>
#include <QVector>

#include <atomic>
#include <map>
#include <memory>

namespace cdrl::studio {

struct SampleSettings {
  qint64 run_id = 0;
  int count = 16;
  quint64 seed = 0;
  int steps = 0;  // K'; 0 = the model's K
  bool noise = true;
  bool use_ema = true;
  int label = -1;  // class index (0-based) or −1 for none
  double guidance = 0;
  QVector<QPair<int, double>> concepts;  // composed (concept label 1..C, weight); wins over label
};

struct ModelSummary {
  QString path;
  QString description;  // one line: preset, data, classes, step
  QString config_json;  // the checkpoint's configuration, pretty-printed
  QString device;
  int levels = 0;
  int steps = 0;  // K
  QStringList class_names;
  bool image = true;
  bool attributes = false;  // concepts are "attribute=value" (composable), not exclusive classes
  QString imported_from;    // the authors' file it was imported from (OFFICIAL.md), else empty
};

struct SampleDone {
  qint64 run_id = 0;
  quint64 seed = 0;
  bool cancelled = false;
  int levels_done = 0;
  QImage grid;  // the final samples tiled
};

class SampleWorker : public QObject {
  Q_OBJECT
 public:
  explicit SampleWorker(QObject* parent = nullptr);
  ~SampleWorker() override;

  void cancel() { m_cancel = true; }

  // Sweep grid layout: label band height (the K' column is twice as wide) and gap between cells.
  static constexpr int kSweepLabel = 28, kSweepGap = 6;

 public Q_SLOTS:
  void load(const QString& path);
  // Writes the open model as this project's checkpoint (for models imported from the authors'
  // format, with the import's source recorded); emits saved.
  void saveModel(const QString& path);
  void run(const cdrl::studio::SampleSettings& settings);
  // A fixed-seed X/Y comparison: one cell of samples per (guidance weight, K') pair, all with
  // `settings`' seed; columns are guidance weights, rows step counts. Emits sweepDone.
  void sweep(const cdrl::studio::SampleSettings& settings, const QVector<double>& guidances,
             const QVector<int>& steps);

 Q_SIGNALS:
  void loaded(const cdrl::studio::ModelSummary& summary);
  void loadProgress(int percent);  // importing a torch.save file
  // Opening failed; `kept` says the previously open model is still open.
  void loadFailed(const QString& message, bool kept);
  void saved(const QString& path, const QString& error);
  void levelReady(const cdrl::studio::LevelFrame& frame);
  // 2-D models: the energy landscape for the run's condition, before its first level.
  void landscapeReady(const cdrl::studio::LandscapeGrid& grid);
  void finished(const cdrl::studio::SampleDone& done);
  void failed(const QString& message);
  void sweepProgress(int cells_done, int cells);
  // The labelled grid, or a null image when cancelled.
  void sweepDone(const QImage& grid);

 private:
  void reportLoadProgress(int percent);

  std::unique_ptr<Model> m_model;
  std::map<std::string, std::string> m_importMetadata;  // source and SHA-256 of an import
  LandscapeGrid m_landscape;  // 2-D models: the latest, for the weights and condition of
  QString m_landscapeKey;     // this key (empty: none kept)
  std::atomic<bool> m_cancel{false};
};

}  // namespace cdrl::studio

Q_DECLARE_METATYPE(cdrl::studio::SampleSettings)
Q_DECLARE_METATYPE(cdrl::studio::ModelSummary)
Q_DECLARE_METATYPE(cdrl::studio::SampleDone)
