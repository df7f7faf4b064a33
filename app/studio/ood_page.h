// The OOD view: drop images or folders to get each one's energy score, its percentile among the
// in-distribution reference scores and a verdict at a threshold dragged on the histogram; compare
// an in- and an out-folder for AUROC, FPR at 95% TPR and the ROC curve.
#pragma once

#include "ood_worker.h"

#include <QThread>
#include <QWidget>

class QDoubleSpinBox;
class QLabel;
class QTableWidget;

namespace cdrl::studio {

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
  // Empty: the model's held-out data.
  void setReferenceSource(const QString& source);

  ScoreHistogram* histogram() const { return m_histogram; }
  RocPlot* roc() const { return m_roc; }
  QTableWidget* table() const { return m_table; }
  bool hasReference() const { return m_hasReference; }

 Q_SIGNALS:
  void referenceReady();
  void scored();
  void compared();
  void failed(const QString& message);

 protected:
  void dragEnterEvent(QDragEnterEvent* event) override;
  void dropEvent(QDropEvent* event) override;

 private:
  void onScored(const QVector<OodScore>& scores);
  void updateVerdicts();
  void showStatus(const QString& text, bool error = false);

  QThread m_thread;
  OodWorker* m_worker;
  QVector<OodScore> m_scores;  // rows of the table, in order
  bool m_hasReference = false;

  QLabel* m_status;
  ScoreHistogram* m_histogram;
  QDoubleSpinBox* m_threshold;
  QTableWidget* m_table;
  RocPlot* m_roc;
};

}  // namespace cdrl::studio
