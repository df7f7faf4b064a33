#include "main_window.h"

#include "composition_panel.h"
#include "energy_landscape_view.h"
#include "level_view.h"
#include "ood_page.h"
#include "sampling_controls.h"
#include "sampling_settings.h"
#include "training_page.h"

#include "cdrl/concepts.h"
#include "cdrl/official_import.h"
#include "io/torch_archive.h"

#include <QAction>
#include <QCloseEvent>
#include <QDialog>
#include <QDialogButtonBox>
#include <QDir>
#include <QDragEnterEvent>
#include <QDropEvent>
#include <QFileDialog>
#include <QFileInfo>
#include <QFormLayout>
#include <QHBoxLayout>
#include <QLabel>
#include <QLineEdit>
#include <QMap>
#include <QMenuBar>
#include <QMessageBox>
#include <QMimeData>
#include <QPlainTextEdit>
#include <QProgressBar>
#include <QPushButton>
#include <QScreen>
#include <QScrollArea>
#include <QSettings>
#include <QSplitter>
#include <QStackedWidget>
#include <QStatusBar>
#include <QTabWidget>
#include <QVBoxLayout>

#include <cstdio>

namespace cdrl::studio {

namespace {

// This project's checkpoints and the authors' torch.save files (by name; content decides later).
bool isCheckpointPath(const QString& path) {
  return path.endsWith(".safetensors") || path.endsWith(".pth") || path.endsWith(".pth.tar");
}

}  // namespace

MainWindow::MainWindow(QWidget* parent) : QMainWindow(parent) {
  setWindowTitle(tr("CDRL Studio"));

  m_worker = new SampleWorker;
  m_worker->moveToThread(&m_thread);
  connect(&m_thread, &QThread::finished, m_worker, &QObject::deleteLater);
  connect(m_worker, &SampleWorker::loaded, this, &MainWindow::onLoaded);
  connect(m_worker, &SampleWorker::levelReady, this, &MainWindow::onLevel);
  connect(m_worker, &SampleWorker::finished, this, &MainWindow::onFinished);
  connect(m_worker, &SampleWorker::failed, this, &MainWindow::showError);
  connect(m_worker, &SampleWorker::loadFailed, this, [this](const QString& message, bool kept) {
    showError(message);
    if (!kept || m_summary.path.isEmpty()) return;
    // The model open before is still open on the worker: keep offering it.
    m_hasModel = true;
    setSampling(false);
    m_saveImported->setEnabled(!m_summary.imported_from.isEmpty());
    m_message->setText(
        tr("Error: %1 — %2 is still open").arg(message, QFileInfo(m_summary.path).fileName()));
  });
  connect(m_worker, &SampleWorker::loadProgress, this, [this](int percent) {
    m_progress->setValue(percent);
    m_message->setText(tr("Importing %1: %2%").arg(QFileInfo(m_opening).fileName()).arg(percent));
  });
  connect(m_worker, &SampleWorker::saved, this, [this](const QString& path, const QString& error) {
    m_message->setText(error.isEmpty() ? tr("Saved %1").arg(path) : tr("Error: %1").arg(error));
    Q_EMIT modelSaved(path, error);
  });
  connect(m_worker, &SampleWorker::landscapeReady, this, [this](const LandscapeGrid& grid) {
    if (grid.run_id == m_runId && m_landscape) m_landscape->setLandscape(grid);
  });
  m_thread.start();

  m_levels = new LevelView;
  m_levels->setObjectName("levelView");
  m_grid = new QLabel;
  m_grid->setObjectName("sampleGrid");
  m_grid->setAlignment(Qt::AlignCenter);
  m_grid->setMinimumSize(200, 200);
  m_modelPanel = new QPlainTextEdit;
  m_modelPanel->setObjectName("modelPanel");
  m_modelPanel->setReadOnly(true);

  m_sample = new QPushButton(tr("&Sample"));
  m_sample->setObjectName("sampleButton");
  m_sample->setToolTip(tr("Draw samples with these settings (Ctrl+R)"));
  m_sample->setShortcut(QKeySequence(tr("Ctrl+R")));
  m_cancel = new QPushButton(tr("Cancel"));
  m_cancel->setObjectName("cancelButton");
  m_cancel->setToolTip(tr("Stop sampling within one Langevin step (Esc)"));
  m_cancel->setShortcut(QKeySequence(Qt::Key_Escape));
  m_sweep = new QPushButton(tr("S&weep…"));
  m_sweep->setObjectName("sweepButton");
  m_sweep->setToolTip(
      tr("Same seed, a grid over guidance weights and Langevin steps: compare them side by side"));
  m_controls = new SamplingControls;
  m_controls->setObjectName("samplingControls");
  m_composition = new CompositionPanel;
  m_composition->setObjectName("compositionPanel");
  m_progress = new QProgressBar;
  m_progress->setObjectName("progress");

  auto* buttons = new QHBoxLayout;
  buttons->addWidget(m_sample);
  buttons->addWidget(m_cancel);
  buttons->addWidget(m_sweep);
  auto* side = new QVBoxLayout;
  side->addWidget(m_controls);
  side->addWidget(m_composition);
  side->addLayout(buttons);
  side->addWidget(m_progress);
  side->addWidget(m_grid, 1);
  side->addWidget(new QLabel(tr("Model")));
  side->addWidget(m_modelPanel, 1);
  auto* side_content = new QWidget;
  side_content->setLayout(side);
  // The side panel scrolls rather than forcing its height on the window (a composition panel
  // with many attributes asked for 929 px; the grid was cut off at 1024×700).
  auto* side_widget = new QScrollArea;
  side_widget->setObjectName("sidePanel");
  side_widget->setWidget(side_content);
  side_widget->setWidgetResizable(true);
  side_widget->setFrameShape(QFrame::NoFrame);
  auto* splitter = new QSplitter;
  // Image models step through pictures; 2-D models get the energy landscape (made on first use:
  // an OpenGL widget turns the whole window into a GL-composited one).
  m_levelStack = new QStackedWidget;
  m_levelStack->setObjectName("levelStack");
  m_levelStack->addWidget(m_levels);
  splitter->addWidget(m_levelStack);
  splitter->addWidget(side_widget);
  splitter->setStretchFactor(0, 3);
  m_training = new TrainingPage;
  m_training->setObjectName("trainingPage");
  m_tabs = new QTabWidget;
  m_tabs->setObjectName("tabs");
  m_tabs->addTab(splitter, tr("Sampling"));
  m_tabs->addTab(m_training, tr("Training"));
  m_ood = new OodPage;
  m_ood->setObjectName("oodPage");
  m_tabs->addTab(m_ood, tr("OOD"));
  m_tabs->setTabToolTip(0, tr("Step through the reverse levels of a sample"));
  m_tabs->setTabToolTip(1, tr("Train a model or follow a run, with live curves"));
  m_tabs->setTabToolTip(2, tr("Score dropped images as in- or out-of-distribution"));
  setCentralWidget(m_tabs);

  auto* file = menuBar()->addMenu(tr("&File"));
  auto* open = file->addAction(tr("&Open checkpoint…"), this, [this] {
    const QString path = QFileDialog::getOpenFileName(
        this, tr("Open checkpoint"), QString(),
        tr("Checkpoints (*.safetensors *.pth *.pth.tar);;The authors' PyTorch files (*.pth "
           "*.pth.tar *.tar);;All files (*)"));
    if (!path.isEmpty()) openCheckpoint(path);
  });
  open->setShortcut(QKeySequence::Open);
  m_saveImported = file->addAction(tr("&Save imported model as…"), this, [this] {
    const QString path = QFileDialog::getSaveFileName(
        this, tr("Save imported model"),
        QString::fromStdString(convertedCheckpointPath(m_summary.path.toStdString())),
        tr("Checkpoints (*.safetensors)"));
    if (!path.isEmpty()) saveImportedModel(path);
  });
  m_saveImported->setToolTip(tr("Keep the conversion of the authors' file, so it opens at once"));
  m_saveImported->setEnabled(false);
  m_recentMenu = file->addMenu(tr("Open &recent"));
  m_examplesMenu = file->addMenu(tr("E&xamples"));
  m_examplesMenu->setEnabled(false);
  file->addSeparator();
  // Each export asks for a place and reports failure in the status bar.
  auto exporter = [this](const QString& title, const QString& name, bool folder,
                         QString (MainWindow::*write)(const QString&) const) {
    return [=, this] {
      const QString path =
          folder ? QFileDialog::getExistingDirectory(this, title)
                 : QFileDialog::getSaveFileName(this, title, name, tr("PNG images (*.png)"));
      if (path.isEmpty()) return;
      const QString error = (this->*write)(path);
      m_message->setText(error.isEmpty() ? tr("Saved %1").arg(path) : tr("Error: %1").arg(error));
    };
  };
  m_exportActions = {
      file->addAction(
          tr("&Export sample grid…"), QKeySequence(tr("Ctrl+E")), this,
          exporter(tr("Export sample grid"), "samples.png", false, &MainWindow::exportGrid)),
      file->addAction(
          tr("Export &level strip…"), this,
          exporter(tr("Export level strip"), "level.png", false, &MainWindow::exportLevelStrip)),
      file->addAction(
          tr("Export &trace…"), this,
          exporter(tr("Export trace to a folder"), QString(), true, &MainWindow::exportTrace))};
  for (QAction* action : m_exportActions) action->setEnabled(false);
  file->addAction(tr("&Follow a training run…"), this, [this] {
    const QString dir = QFileDialog::getExistingDirectory(this, tr("Run folder to follow"));
    if (!dir.isEmpty()) followTrainingRun(dir);
  });
  file->addSeparator();
  file->addAction(tr("&Quit"), this, &QWidget::close)->setShortcut(QKeySequence::Quit);
  auto* help = menuBar()->addMenu(tr("&Help"));
  help->addAction(tr("&About CDRL Studio"), this, [this] {
    QMessageBox::about(this, tr("About CDRL Studio"),
                       tr("<b>CDRL Studio %1</b><p>Train, sample and explore energy-based models "
                          "learned by Cooperative Diffusion Recovery Likelihood (Zhu et al., "
                          "ICLR 2024).</p>")
                           .arg(QCoreApplication::applicationVersion()));
  });
  rebuildRecentMenu();
  setAcceptDrops(true);

  m_device = new QLabel;
  m_seedUsed = new QLabel;
  m_message = new QLabel;
  m_message->setObjectName("message");
  statusBar()->addWidget(m_message, 1);
  statusBar()->addPermanentWidget(m_seedUsed);
  statusBar()->addPermanentWidget(m_device);

  connect(m_sample, &QPushButton::clicked, this, &MainWindow::startSampling);
  connect(m_sweep, &QPushButton::clicked, this, &MainWindow::askForSweep);
  connect(m_worker, &SampleWorker::sweepProgress, this, [this](int done, int cells) {
    m_progress->setRange(0, cells);
    m_progress->setValue(done);
  });
  connect(m_worker, &SampleWorker::sweepDone, this, [this](const QImage& grid) {
    setSampling(false);
    m_message->setText(grid.isNull() ? tr("Sweep cancelled") : tr("Sweep done"));
    if (!grid.isNull() && isVisible()) showSweep(grid);
    Q_EMIT sweepFinished(grid);
  });
  connect(m_cancel, &QPushButton::clicked, this, &MainWindow::cancelSampling);
  connect(m_controls, &SamplingControls::changed, this, &MainWindow::settingsChanged);
  connect(m_composition, &CompositionPanel::changed, this, [this] {
    m_controls->setGuidanceEnabled(m_composition->guidanceApplies(),
                                   tr("Guidance needs a class (pick one in the panel below)"));
    settingsChanged();
  });
  setSampling(false);
  m_message->setText(tr("No model open: File > Open, or drop a checkpoint on the window."));
  QSettings settings;
  if (!restoreGeometry(settings.value("window/geometry").toByteArray())) resize(1100, 700);
  fitToScreen();
  // The last settings come back after a restart, so the same seed gives the same images.
  m_controls->setState(loadControls(settings));
}

void MainWindow::followTrainingRun(const QString& path) {
  m_tabs->setCurrentWidget(m_training);
  m_training->attach(path);
}

void MainWindow::startSweep(const QVector<double>& guidances, const QVector<int>& steps) {
  if (!m_hasModel || m_sampling || guidances.isEmpty() || steps.isEmpty()) return;
  const SampleSettings base = controlSettings();
  setSampling(true);
  m_progress->setValue(0);
  QMetaObject::invokeMethod(m_worker, [worker = m_worker, base, guidances, steps] {
    worker->sweep(base, guidances, steps);
  });
  m_message->setText(tr("Sweeping %1 × %2 settings…").arg(guidances.size()).arg(steps.size()));
}

void MainWindow::askForSweep() {
  QDialog dialog(this);
  dialog.setWindowTitle(tr("Sweep"));
  auto* weights = new QLineEdit(m_composition->guidanceApplies() ? "0, 1, 3" : "0");
  weights->setToolTip(tr("Guidance weights, one column each (needs a class)"));
  auto* steps = new QLineEdit(QString("%1, 8, 5, 3").arg(m_summary.steps));
  steps->setToolTip(tr("Langevin steps per level K', one row each (step size adjusted)"));
  auto* form = new QFormLayout(&dialog);
  form->addRow(tr("Guidance weights"), weights);
  form->addRow(tr("Steps per level"), steps);
  auto* box = new QDialogButtonBox(QDialogButtonBox::Ok | QDialogButtonBox::Cancel);
  form->addRow(box);
  connect(box, &QDialogButtonBox::accepted, &dialog, &QDialog::accept);
  connect(box, &QDialogButtonBox::rejected, &dialog, &QDialog::reject);
  if (dialog.exec() != QDialog::Accepted) return;
  QVector<double> w;
  QVector<int> k;
  bool ok = true;
  for (const QString& v : weights->text().split(',', Qt::SkipEmptyParts)) {
    w.push_back(v.trimmed().toDouble(&ok));
    if (!ok || w.last() < 0) return showError(tr("'%1' is no guidance weight ≥ 0").arg(v));
  }
  for (const QString& v : steps->text().split(',', Qt::SkipEmptyParts)) {
    k.push_back(v.trimmed().toInt(&ok));
    if (!ok || k.last() < 1) return showError(tr("'%1' is no step count ≥ 1").arg(v));
  }
  startSweep(w, k);
}

void MainWindow::showSweep(const QImage& grid) {
  auto* dialog = new QDialog(this);
  dialog->setAttribute(Qt::WA_DeleteOnClose);
  dialog->setWindowTitle(tr("Sweep — seed %1").arg(m_last.seed));
  auto* image = new QLabel;
  image->setPixmap(QPixmap::fromImage(grid));
  auto* scroll = new QScrollArea;
  scroll->setWidget(image);
  auto* save = new QPushButton(tr("Save PNG…"));
  auto* layout = new QVBoxLayout(dialog);
  layout->addWidget(scroll, 1);
  layout->addWidget(save);
  const RunRecord record = currentRecord();
  connect(save, &QPushButton::clicked, dialog, [this, dialog, grid, record] {
    const QString path = QFileDialog::getSaveFileName(dialog, tr("Save sweep"), "sweep.png",
                                                      tr("PNG images (*.png)"));
    if (!path.isEmpty() && !stamped(grid, record).save(path, "PNG"))
      showError(tr("cannot write %1").arg(path));
  });
  dialog->resize(std::min(grid.width() + 40, 1200), std::min(grid.height() + 80, 900));
  dialog->show();
}

bool MainWindow::showView(const QString& name) {
  const QStringList names{"sampling", "training", "ood"};
  if (!names.contains(name)) return false;
  m_tabs->setCurrentIndex(static_cast<int>(names.indexOf(name)));
  return true;
}

void MainWindow::scoreImages(const QStringList& paths) {
  m_tabs->setCurrentWidget(m_ood);
  if (m_hasModel)
    m_ood->scorePaths(paths);
  else
    m_pendingScores += paths;  // scored once the model has loaded
}

bool MainWindow::composeConcepts(const QString& spec) {
  if (!m_hasModel) {
    m_pendingCompose = spec;  // applied once the model has loaded
    return true;
  }
  std::vector<std::string> names;
  for (const QString& name : m_summary.class_names) names.push_back(name.toStdString());
  CompositionState state;
  try {
    for (const QString& term : spec.split(',', Qt::SkipEmptyParts)) {
      const auto [label, weight] = parseConceptTerm(names, term.trimmed().toStdString());
      state.concepts.push_back({static_cast<int>(label), weight});
    }
  } catch (const std::invalid_argument& e) {
    // Also on stderr: at start-up the samples drawn next replace the status line.
    std::fprintf(stderr, "cdrl-studio: --compose: %s\n", e.what());
    showError(tr("--compose: %1").arg(QString::fromStdString(e.what())));
    return false;
  }
  showComposition(state);
  settingsChanged();
  return true;
}

void MainWindow::showComposition(const CompositionState& state) {
  m_composition->setState(state);
  m_controls->setGuidanceEnabled(m_composition->guidanceApplies(),
                                 tr("Guidance needs a class (pick one in the panel below)"));
}

MainWindow::~MainWindow() {
  m_worker->cancel();
  m_thread.quit();
  m_thread.wait();
}

QStringList MainWindow::recentFiles() const {
  return QSettings().value("recentFiles").toStringList();
}

void MainWindow::rememberRecent(const QString& path) {
  QStringList recent = recentFiles();
  recent.removeAll(path);
  recent.prepend(path);
  while (recent.size() > 8) recent.removeLast();
  QSettings().setValue("recentFiles", recent);
  rebuildRecentMenu();
}

void MainWindow::rebuildRecentMenu() {
  m_recentMenu->clear();
  for (const QString& path : recentFiles())
    m_recentMenu->addAction(path, this, [this, path] { openCheckpoint(path); });
  m_recentMenu->setEnabled(!m_recentMenu->isEmpty());
}

void MainWindow::setExamples(const QString& dir) {
  // What each bundled model is for (docs/models.md); other files are listed by name.
  static const QMap<QString, QString> kAbout = {
      {"fmnist-tiny", tr("Fashion-MNIST, class-conditional: guidance by class")},
      {"faces-tiny", tr("Faces with CelebA's attributes: compose Male, Smiling, Young…")},
      {"shapes-tiny", tr("Shapes, attribute-conditional: compose shape, colour, size")},
      {"toy2d", tr("2-D eight Gaussians: the energy landscape")}};
  m_examplesMenu->clear();
  const auto files = QDir(dir).entryInfoList({"*.safetensors"}, QDir::Files, QDir::Name);
  for (const QFileInfo& file : files) {
    const QString name = file.completeBaseName();
    if (name.endsWith("-classifier")) continue;  // the judges of `cdrl eval`, not models
    const QString path = file.absoluteFilePath();
    QAction* action = m_examplesMenu->addAction(
        kAbout.contains(name) ? QString("%1 — %2").arg(name, kAbout.value(name)) : name, this,
        [this, path] { openCheckpoint(path); });
    action->setData(path);
  }
  m_examplesMenu->setEnabled(!m_examplesMenu->isEmpty());
}

QStringList MainWindow::examples() const {
  QStringList paths;
  for (const QAction* action : m_examplesMenu->actions()) paths << action->data().toString();
  return paths;
}

void MainWindow::dragEnterEvent(QDragEnterEvent* event) {
  const auto urls = event->mimeData()->urls();
  if (urls.size() == 1 && urls.first().isLocalFile() &&
      (isCheckpointPath(urls.first().toLocalFile()) ||
       urls.first().toLocalFile().endsWith(".png", Qt::CaseInsensitive)))
    event->acceptProposedAction();
}

// A checkpoint opens; a PNG exported by the studio brings back the run that made it.
void MainWindow::dropEvent(QDropEvent* event) {
  const QString path = event->mimeData()->urls().first().toLocalFile();
  event->acceptProposedAction();
  if (isCheckpointPath(path)) {
    openCheckpoint(path);
    return;
  }
  if (const auto record = readRecord(path))
    restoreRun(*record);
  else
    showError(tr("%1 holds no CDRL Studio settings (only PNGs exported by the studio do)")
                  .arg(QFileInfo(path).fileName()));
}

RunRecord MainWindow::currentRecord() const { return {m_summary.path, m_last}; }

QString MainWindow::exportGrid(const QString& png_path) const {
  if (m_lastGrid.isNull()) return tr("no finished image run to export");
  return stamped(m_lastGrid, currentRecord()).save(png_path, "PNG")
             ? QString()
             : tr("cannot write %1").arg(png_path);
}

QString MainWindow::exportLevelStrip(const QString& png_path) const {
  if (m_levels->frameCount() == 0 || m_lastGrid.isNull())
    return tr("no finished image run to export");
  const QImage strip = levelStrip(m_levels->frame(std::max(0, m_levels->currentIndex())));
  return stamped(strip, currentRecord()).save(png_path, "PNG")
             ? QString()
             : tr("cannot write %1").arg(png_path);
}

QString MainWindow::exportTrace(const QString& folder) const {
  if (m_levels->frameCount() == 0) return tr("no finished run to export");
  QVector<LevelFrame> frames;
  for (int k = 0; k < m_levels->frameCount(); ++k) frames.push_back(m_levels->frame(k));
  return cdrl::studio::exportTrace(folder, frames, m_lastGrid, currentRecord());
}

void MainWindow::restoreRun(const RunRecord& record) {
  if (record.checkpoint != m_summary.path || !m_hasModel) {
    if (!QFileInfo::exists(record.checkpoint)) {
      showError(tr("the run's checkpoint %1 is not there any more").arg(record.checkpoint));
      return;
    }
    m_pendingRecord = record;
    openCheckpoint(record.checkpoint);  // onLoaded applies it
    return;
  }
  applyRecord(record);
}

void MainWindow::applyRecord(const RunRecord& record) {
  const SampleSettings& s = record.settings;
  m_controls->setState(controlsOf(s));
  showComposition({s.label, s.concepts});
  m_message->setText(tr("Restored the settings of a run on %1").arg(record.checkpoint));
  settingsChanged();
}

void MainWindow::fitToScreen() {
  // A geometry saved on a larger screen (or at another scale factor) comes back inside this one.
  const QScreen* current = screen();
  if (!current) return;
  const QRect available = current->availableGeometry();
  const QSize size = this->size().boundedTo(available.size());
  if (size != this->size()) resize(size);
  QRect frame = frameGeometry();
  if (!available.contains(frame)) {
    frame.moveLeft(std::clamp(frame.left(), available.left(),
                              std::max(available.left(), available.right() - frame.width())));
    frame.moveTop(std::clamp(frame.top(), available.top(),
                             std::max(available.top(), available.bottom() - frame.height())));
    move(frame.topLeft());
  }
}

void MainWindow::closeEvent(QCloseEvent* event) {
  if (m_training->isTraining()) {
    // Closing stops the run at the next step with its checkpoint saved; say so and ask.
    const auto answer = QMessageBox::question(
        this, tr("Training in progress"),
        tr("A training run is in progress. Stop it (its checkpoint is saved) and quit?"),
        QMessageBox::Yes | QMessageBox::No, QMessageBox::No);
    if (answer != QMessageBox::Yes) {
      event->ignore();
      return;
    }
  }
  QSettings().setValue("window/geometry", saveGeometry());
  QMainWindow::closeEvent(event);
}

void MainWindow::showGridNote(const QString& note) {
  m_grid->setPixmap(QPixmap());
  m_grid->setText(note);
  m_lastGrid = QImage();
  for (QAction* action : m_exportActions) action->setEnabled(false);
}

void MainWindow::openCheckpoint(const QString& path) {
  // Nothing of the previous model's runs stays on screen.
  m_levels->clear();
  showGridNote(tr("Opening %1…").arg(QFileInfo(path).fileName()));
  m_hasModel = false;
  m_sample->setEnabled(false);
  m_saveImported->setEnabled(false);
  m_opening = path;
  if (looksLikeTorchArchive(path.toStdString())) {
    // Import with progress; Cancel stops it between tensors.
    setSampling(true);
    m_progress->setRange(0, 100);
    m_progress->setValue(0);
    m_message->setText(tr("Importing %1 (the authors' format)…").arg(path));
  } else {
    m_message->setText(tr("Opening %1…").arg(path));
  }
  QMetaObject::invokeMethod(m_worker, "load", Qt::QueuedConnection, Q_ARG(QString, path));
}

SampleSettings MainWindow::controlSettings() const {
  const CompositionState composition = m_composition->state();
  SampleSettings s;
  setControls(s, m_controls->state());
  s.label = composition.class_index;
  if (s.label < 0) s.guidance = 0.0;  // w weighs a class against ∅: nothing to weigh
  s.concepts = composition.concepts;
  return s;
}

void MainWindow::startSampling() {
  if (!m_hasModel || m_sampling) return;
  SampleSettings s = controlSettings();
  s.run_id = ++m_runId;
  m_last = s;
  QSettings settings;
  saveControls(settings, m_controls->state());
  m_levels->clear(
      tr("Sampling: level %1 appears when its Langevin chain finishes…").arg(m_summary.levels));
  if (m_landscape) m_landscape->clearSamples();
  showGridNote(tr("Sampling…"));
  m_progress->setRange(0, m_summary.levels);
  m_progress->setValue(0);
  setSampling(true);
  QMetaObject::invokeMethod(m_worker, "run", Qt::QueuedConnection,
                            Q_ARG(cdrl::studio::SampleSettings, s));
}

void MainWindow::settingsChanged() {
  if (!m_hasModel) return;
  if (m_sampling) {
    m_resamplePending = true;
    m_worker->cancel();
    return;
  }
  startSampling();
}

void MainWindow::saveImportedModel(const QString& path) {
  QMetaObject::invokeMethod(m_worker, "saveModel", Qt::QueuedConnection, Q_ARG(QString, path));
}

void MainWindow::cancelSampling() {
  m_resamplePending = false;
  if (m_sampling) m_worker->cancel();
}

void MainWindow::onLoaded(const ModelSummary& summary) {
  m_summary = summary;
  m_hasModel = true;
  m_modelPanel->setPlainText(summary.description + "\n\n" + summary.config_json);
  m_controls->setModelSteps(summary.steps);
  if (!summary.image) showLandscapePage();
  m_levelStack->setCurrentIndex(summary.image ? 0 : 1);
  m_composition->setConcepts(summary.class_names, summary.attributes);
  m_controls->setGuidanceEnabled(m_composition->guidanceApplies(),
                                 summary.class_names.isEmpty()
                                     ? tr("Guidance needs a conditional model")
                                     : tr("Guidance needs a class (pick one in the panel below)"));
  m_device->setText(tr("Device: %1").arg(summary.device));
  m_ood->setCheckpoint(summary.path);
  if (!m_pendingScores.isEmpty()) m_ood->scorePaths(std::exchange(m_pendingScores, {}));
  m_saveImported->setEnabled(!summary.imported_from.isEmpty());
  m_message->setText(summary.imported_from.isEmpty()
                         ? tr("Opened %1").arg(summary.path)
                         : tr("Imported %1: File > Save imported model as… keeps the conversion")
                               .arg(summary.path));
  rememberRecent(summary.path);
  setWindowTitle(tr("CDRL Studio — %1").arg(summary.path));
  setSampling(false);
  Q_EMIT modelLoaded();
  // A freshly opened model shows samples at once (with a dropped PNG's settings if it came so).
  if (m_pendingRecord)
    applyRecord(*std::exchange(m_pendingRecord, std::nullopt));
  else if (m_pendingCompose.isEmpty() || !composeConcepts(std::exchange(m_pendingCompose, {})))
    startSampling();  // a bad --compose still shows the model's samples
}

void MainWindow::showLandscapePage() {
  if (m_levelStack->count() > 1) return;
  if (EnergyLandscapeView::openGLAvailable()) {
    m_landscape = new EnergyLandscapeView;
    m_landscape->setObjectName("landscapeView");
    m_levelStack->addWidget(m_landscape);
    return;
  }
  auto* note = new QLabel(tr("The energy landscape of 2-D models needs OpenGL, which the \"%1\" "
                             "display platform does not offer.")
                              .arg(QGuiApplication::platformName()));
  note->setObjectName("landscapeUnavailable");
  note->setWordWrap(true);
  note->setAlignment(Qt::AlignCenter);
  m_levelStack->addWidget(note);
}

void MainWindow::onLevel(const LevelFrame& frame) {
  if (frame.run_id != m_runId) return;  // a stale run
  if (m_summary.image)
    m_levels->addFrame(frame);
  else if (m_landscape)
    m_landscape->addLevel(frame);
  m_progress->setValue(frame.levels - frame.level + 1);
  Q_EMIT levelShown(frame.level);
}

void MainWindow::onFinished(const SampleDone& done) {
  if (done.run_id != m_runId) return;
  setSampling(false);
  m_seedUsed->setText(tr("Seed used: %1").arg(done.seed));
  if (m_resamplePending) {
    m_resamplePending = false;
    startSampling();
    return;
  }
  if (done.cancelled) {
    m_message->setText(
        tr("Cancelled after %1 of %2 levels").arg(done.levels_done).arg(m_summary.levels));
    showGridNote(tr("Cancelled: no final samples (the levels that finished are on the left)"));
  } else {
    m_message->setText(tr("Sampled %1 levels").arg(done.levels_done));
    m_lastGrid = done.grid;
    for (QAction* action : m_exportActions) action->setEnabled(!done.grid.isNull());
    if (done.grid.isNull())  // 2-D points have no picture of their own
      m_grid->setText(tr("The samples are drawn on the energy landscape."));
    else
      m_grid->setPixmap(QPixmap::fromImage(done.grid).scaled(m_grid->size(), Qt::KeepAspectRatio,
                                                             Qt::FastTransformation));
  }
  Q_EMIT samplingFinished(done.cancelled);
}

void MainWindow::showError(const QString& message) {
  m_message->setText(tr("Error: %1").arg(message));
  if (m_sampling) {
    setSampling(false);
    Q_EMIT samplingFinished(true);
  }
}

void MainWindow::setSampling(bool on) {
  m_sampling = on;
  m_sample->setEnabled(!on && m_hasModel);
  m_cancel->setEnabled(on);
  m_sweep->setEnabled(!on && m_hasModel);
}

}  // namespace cdrl::studio
