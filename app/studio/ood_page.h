// The OOD view: drop images or folders to get each one's score (the calibrated typicality score,
// or the lowest-level energy for a model without calibration, which the view offers to fit), its
// percentile among the in-distribution reference scores, a verdict at a threshold dragged on the
// histogram and, for the selected image, its atypicality per noise level; compare an in- and an
// out-folder for AUROC, FPR at 95% TPR and the ROC curve.
#pragma once

#include "ood_worker.h"

#include <QThread>
#include <QWidget>

class QDoubleSpinBox;
class QLabel;
class QProgressBar;
class QPushButton;
class QTableWidget;

namespace cdrl::studio {

class LevelAtypicalityPlot;
class RocPlot;
class ScoreHistogram;

class OodPage : public QWidget {
  Q_OBJECT
 public:
  explicit OodPage(QWidget* parent = nullptr);
  ~OodPage() override;

  // The model to score with; its held-out data become the reference.
  void setCheckpoint(const QString& path);
  // Scores files and folders (what a drop does).
  void scorePaths(const QStringList& paths);
  // AUROC and ROC of an in-set against an out-set (folders or data-set specifications).
  void compareFolders(const QString& in_source, const QString& out_source);
  // Empty: the model's held-out data (its calibration's scores when calibrated).
  void setReferenceSource(const QString& source);
  // Fits the typicality score on the model's held-out data (empty) or a folder.
  void calibrate(const QString& source);
  void cancelCalibration();

  ScoreHistogram* histogram() const { return m_histogram; }
  RocPlot* roc() const { return m_roc; }
  QTableWidget* table() const { return m_table; }
  LevelAtypicalityPlot* levelPlot() const { return m_levels; }
  bool hasReference() const { return m_hasReference; }
  bool isCalibrated() const { return m_info.calibrated; }
  // The verdict shown in the table's row, "" when none.
  QString verdict(int row) const;

 Q_SIGNALS:
  void modelLoaded();
  void referenceReady();
  void scored();
  void compared();
  void calibrationDone();
  void failed(const QString& message);

 protected:
  void dragEnterEvent(QDragEnterEvent* event) override;
  void dropEvent(QDropEvent* event) override;

 private:
  void onScored(const QVector<OodScore>& scores);
  void onModel(const OodModelInfo& info);
  void updateVerdicts();
  void showRowLevels();
  void showStatus(const QString& text, bool error = false);
  QWidget* makeCalibrationBar();

  QThread m_thread;
  OodWorker* m_worker;
  QVector<OodScore> m_scores;  // rows of the table, in order
  bool m_hasReference = false;
  OodModelInfo m_info;

  QLabel* m_status;
  QLabel* m_scoreInfo;
  QPushButton* m_calibrateOwn;
  QPushButton* m_calibrateFolder;
  QProgressBar* m_calibrationProgress;
  QPushButton* m_cancelCalibration;
  LevelAtypicalityPlot* m_levels;
  ScoreHistogram* m_histogram;
  QDoubleSpinBox* m_threshold;
  QTableWidget* m_table;
  RocPlot* m_roc;
};

}  // namespace cdrl::studio
