// OOD scoring on a worker thread: loads a checkpoint with its typicality calibration (if any),
// calibrates on request (progress, cancel; the result cached beside the checkpoint), scores the
// in-distribution reference, dropped images and folders, and in/out pairs (AUROC, FPR at 95% TPR,
// ROC curve). Without a calibration the scores are the lowest-level energy. Results travel as
// plain data.
#pragma once

#include "cdrl/model.h"
#include "data/data_source.h"
#include "eval/typicality.h"

#include <QImage>
#include <QObject>
#include <QString>
#include <QStringList>
#include <QVector>

#include <atomic>
#include <memory>
#include <optional>

namespace cdrl::studio {

struct OodScore {
  QString name;
  double score = 0;           // typicality (calibrated) or energy; meaningless when `error` is set
  QVector<double> per_level;  // atypicality at levels 1 … T (calibrated models), else empty
  QString note;               // conversion done to fit the model, or empty
  QString error;              // why the file could not be read, or empty
  QImage thumbnail;  // the image as the model saw it (null for 2-D data and unreadable files)
};

struct OodReference {
  QString source;  // what was scored ("fashion-mnist-test", a folder, the calibration)
  QVector<double> scores;
  int unreadable = 0;
};

struct OodComparison {
  QString in_source, out_source;
  int in_count = 0, out_count = 0, unreadable = 0;
  double auroc = 0, fpr_at_95 = 0;
  QVector<double> fpr, tpr;
};

// What the page shows about the open model's score.
struct OodModelInfo {
  QString description;  // "<preset> on <data>"
  bool calibrated = false;
  QString score_name;          // "typicality" or "energy"
  QString calibration;         // where the calibration came from, or empty
  double level_reference = 0;  // per-level atypicality that 95% of typical images stay below
};

class OodWorker : public QObject {
  Q_OBJECT
 public:
  explicit OodWorker(QObject* parent = nullptr);
  ~OodWorker() override;

  // Images taken from each folder or data set at most.
  static constexpr int kLimit = 1000;
  // Examples a calibration is fitted on.
  static constexpr int kCalibrationCount = 1000;

  // Called from any thread: stops a calibration between batches. A new calibration request clears
  // it first (before it is queued, so a cancel that follows the request always counts).
  void cancel() { m_cancel = true; }
  void clearCancel() { m_cancel = false; }

 public Q_SLOTS:
  void load(const QString& checkpoint);
  // Empty `source`: the calibration's own in-distribution scores, or without one the held-out
  // part of the model's own training data.
  void reference(const QString& source);
  void score(const QStringList& paths);
  void compare(const QString& in_source, const QString& out_source);
  // Empty `source`: the held-out part of the model's own training data.
  void calibrate(const QString& source);

 Q_SIGNALS:
  void loaded(const cdrl::studio::OodModelInfo& info);
  void referenceReady(const cdrl::studio::OodReference& reference);
  void scored(const QVector<cdrl::studio::OodScore>& scores);
  void compared(const cdrl::studio::OodComparison& comparison);
  void calibrationProgress(int done, int total);
  // `note` says where the result was cached, or why it could not be.
  void calibrated(const cdrl::studio::OodModelInfo& info, const QString& note);
  void failed(const QString& message);

 private:
  // Scores of x [N, ...]: typicality when calibrated (with per-level atypicality), else energy.
  TypicalityScores scoresOf(const torch::Tensor& x);
  OodModelInfo info() const;
  HeldOutData heldOut() const;

  std::unique_ptr<Model> m_model;
  std::optional<Calibration> m_calibration;
  std::string m_checkpoint;
  int64_t m_step = 0;
  QString m_description;
  std::atomic<bool> m_cancel{false};
};

}  // namespace cdrl::studio

Q_DECLARE_METATYPE(cdrl::studio::OodReference)
Q_DECLARE_METATYPE(cdrl::studio::OodComparison)
Q_DECLARE_METATYPE(cdrl::studio::OodModelInfo)
Q_DECLARE_METATYPE(QVector<cdrl::studio::OodScore>)
