// The studio's main window: wires the sampling worker (on its own thread) to the widgets. It only
// draws and forwards; all tensor work happens in SampleWorker.
#pragma once

#include "sample_export.h"
#include "sample_worker.h"

#include <QMainWindow>
#include <QThread>

class QLabel;
class QMenu;
class QPlainTextEdit;
class QProgressBar;
class QPushButton;
class QStackedWidget;
class QTabWidget;

namespace cdrl::studio {

class CompositionPanel;
struct CompositionState;
class EnergyLandscapeView;
class LevelView;
class OodPage;
class SamplingControls;
class TrainingPage;

class MainWindow : public QMainWindow {
  Q_OBJECT
 public:
  explicit MainWindow(QWidget* parent = nullptr);
  ~MainWindow() override;

  // Loads on the worker thread; the window updates when `modelLoaded` or an error arrives.
  void openCheckpoint(const QString& path);
  // Shows the training view following a run folder (or metrics file).
  void followTrainingRun(const QString& path);
  // Brings a view to the front: "sampling", "training" or "ood"; false for another name.
  bool showView(const QString& name);
  // Scores images or folders in the OOD view (as dropping them there does).
  void scoreImages(const QStringList& paths);
  // Ticks the concepts of `spec`, "NAME=VALUE[:WEIGHT],…" as `cdrl eval --compose` takes them,
  // and samples them (once the model has loaded); a name the model lacks is shown as an error
  // and changes nothing (false).
  bool composeConcepts(const QString& spec);
  QStringList recentFiles() const;
  // Lists the bundled models in `dir` under File > Examples (classifiers left out).
  void setExamples(const QString& dir);
  QStringList examples() const;  // the listed files
  bool hasModel() const { return m_hasModel; }
  bool isSampling() const { return m_sampling; }
  // The 2-D models' view (null until one is opened, or without OpenGL).
  EnergyLandscapeView* landscapeView() const { return m_landscape; }
  // The settings of the latest run started (what core was asked for).
  const SampleSettings& lastSettings() const { return m_last; }
  // Exports of the latest finished run; each returns an error message, or empty on success.
  QString exportGrid(const QString& png_path) const;
  QString exportLevelStrip(const QString& png_path) const;
  QString exportTrace(const QString& folder) const;
  // A fixed-seed grid over guidance weights (columns) and Langevin steps per level (rows) with
  // the current settings; sweepFinished carries it.
  void startSweep(const QVector<double>& guidances, const QVector<int>& steps);
  // Puts a run's settings back in the controls (opening its checkpoint first if it is another
  // one) and samples with them.
  void restoreRun(const RunRecord& record);

 public Q_SLOTS:
  void startSampling();
  void cancelSampling();
  // Writes the open (imported) model as this project's checkpoint; emits modelSaved.
  void saveImportedModel(const QString& path);

 Q_SIGNALS:
  void modelLoaded();
  void samplingFinished(bool cancelled);
  // A finished level is on screen (level i, T … 1).
  void levelShown(int level);
  void sweepFinished(const QImage& grid);
  void modelSaved(const QString& path, const QString& error);  // error empty on success

 protected:
  // Dropping a checkpoint (.safetensors, or the authors' .pth/.pth.tar) on the window opens it.
  void dragEnterEvent(QDragEnterEvent* event) override;
  void dropEvent(QDropEvent* event) override;
  void closeEvent(QCloseEvent* event) override;

 private:
  void fitToScreen();
  void rememberRecent(const QString& path);
  void rebuildRecentMenu();
  void onLoaded(const ModelSummary& summary);
  void onLevel(const LevelFrame& frame);
  // Adds the 2-D page to the level stack: the landscape view, or a note where OpenGL is missing.
  void showLandscapePage();
  void onFinished(const SampleDone& done);
  void showError(const QString& message);
  void setSampling(bool on);
  // The sample grid shows `note` instead of a previous run's images (none to export).
  void showGridNote(const QString& note);
  // A control changed: re-sample now, or once the running sample has stopped.
  void settingsChanged();

  // What the controls ask for now.
  SampleSettings controlSettings() const;
  void applyRecord(const RunRecord& record);
  void askForSweep();
  void showSweep(const QImage& grid);
  RunRecord currentRecord() const;
  // Puts `state` in the composition panel (without emitting its changed()) and enables guidance
  // as it applies.
  void showComposition(const CompositionState& state);

  QThread m_thread;
  SampleWorker* m_worker;
  ModelSummary m_summary;
  bool m_hasModel = false;
  bool m_sampling = false;
  qint64 m_runId = 0;
  bool m_resamplePending = false;
  SampleSettings m_last;
  QImage m_lastGrid;                         // of the latest finished run
  std::optional<RunRecord> m_pendingRecord;  // applied once its checkpoint has loaded
  QList<QAction*> m_exportActions;
  QAction* m_saveImported = nullptr;  // enabled for models imported from the authors' format
  QMenu* m_examplesMenu = nullptr;    // File > Examples: the bundled models
  QStringList m_pendingScores;        // --score paths waiting for the model
  QString m_pendingCompose;           // --compose concepts waiting for the model
  QString m_opening;                  // the checkpoint being opened

  LevelView* m_levels;
  QStackedWidget* m_levelStack;
  EnergyLandscapeView* m_landscape = nullptr;  // 2-D models, once one was opened
  QLabel* m_grid;
  QPlainTextEdit* m_modelPanel;
  QPushButton *m_sample, *m_cancel, *m_sweep;
  SamplingControls* m_controls;
  CompositionPanel* m_composition;
  QProgressBar* m_progress;
  QLabel *m_device, *m_seedUsed, *m_message;
  QMenu* m_recentMenu;
  QTabWidget* m_tabs;
  TrainingPage* m_training;
  OodPage* m_ood;
};

}  // namespace cdrl::studio
