// The training view: a form to train on a worker thread (or attach to a run elsewhere), live
// curves that follow the run's metrics file, and a grid sampled from its latest checkpoint.
#pragma once

#include <QThread>
#include <QWidget>

class QLabel;
class QProgressBar;

namespace cdrl::studio {

class MetricsMonitor;
class SampleWorker;
class TrainWorker;
class TrainingForm;
class TrainingPlots;
struct MetricPoints;
struct TrainingFormState;

class TrainingPage : public QWidget {
  Q_OBJECT
 public:
  explicit TrainingPage(QWidget* parent = nullptr);
  ~TrainingPage() override;

  bool isTraining() const { return m_training; }
  TrainingPlots* plots() const { return m_plots; }
  TrainingForm* form() const { return m_form; }

 public Q_SLOTS:
  // Follows a run folder (or metrics file) without training here.
  void attach(const QString& path);
  void start(const cdrl::studio::TrainingFormState& state);
  void stop();

 Q_SIGNALS:
  void trainingFinished(bool stopped);

 private:
  void onPoints(const MetricPoints& points, bool restarted);
  void onCheckpoint(const QString& path);
  void setTraining(bool on);
  void showStatus(const QString& text, bool error = false);

  QThread m_trainThread, m_monitorThread, m_previewThread;
  TrainWorker* m_trainer;
  MetricsMonitor* m_monitor;
  SampleWorker* m_preview;
  bool m_training = false;
  bool m_previewBusy = false;
  QString m_previewPending;

  TrainingForm* m_form;
  TrainingPlots* m_plots;
  QProgressBar* m_progress;
  QLabel *m_status, *m_grid, *m_gridCaption;
};

}  // namespace cdrl::studio
