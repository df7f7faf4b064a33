#include "main_window.h"

#include "level_view.h"

#include <QAction>
#include <QFileDialog>
#include <QFormLayout>
#include <QHBoxLayout>
#include <QLabel>
#include <QMenuBar>
#include <QPlainTextEdit>
#include <QProgressBar>
#include <QPushButton>
#include <QSpinBox>
#include <QSplitter>
#include <QStatusBar>
#include <QVBoxLayout>

namespace cdrl::studio {

MainWindow::MainWindow(QWidget* parent) : QMainWindow(parent) {
  qRegisterMetaType<SampleSettings>();
  qRegisterMetaType<ModelSummary>();
  qRegisterMetaType<SampleDone>();
  qRegisterMetaType<LevelFrame>();
  setWindowTitle(tr("CDRL Studio"));

  m_worker = new SampleWorker;
  m_worker->moveToThread(&m_thread);
  connect(&m_thread, &QThread::finished, m_worker, &QObject::deleteLater);
  connect(m_worker, &SampleWorker::loaded, this, &MainWindow::onLoaded);
  connect(m_worker, &SampleWorker::levelReady, this, &MainWindow::onLevel);
  connect(m_worker, &SampleWorker::finished, this, &MainWindow::onFinished);
  connect(m_worker, &SampleWorker::failed, this, &MainWindow::showError);
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
  m_count = new QSpinBox;
  m_count->setObjectName("countSpin");
  m_count->setRange(1, 1024);
  m_count->setValue(16);
  m_count->setToolTip(tr("Number of samples drawn at once"));
  m_seed = new QSpinBox;
  m_seed->setObjectName("seedSpin");
  m_seed->setRange(0, 1 << 30);
  m_seed->setToolTip(tr("Seed: the same seed and settings give the same images"));
  m_steps = new QSpinBox;
  m_steps->setObjectName("stepsSpin");
  m_steps->setRange(0, 200);
  m_steps->setSpecialValueText(tr("model's K"));
  m_steps->setToolTip(tr("Langevin steps per level K' (step size adjusted as in the paper)"));
  m_progress = new QProgressBar;
  m_progress->setObjectName("progress");

  auto* form = new QFormLayout;
  form->addRow(tr("Samples"), m_count);
  form->addRow(tr("Seed"), m_seed);
  form->addRow(tr("Langevin steps"), m_steps);
  auto* buttons = new QHBoxLayout;
  buttons->addWidget(m_sample);
  buttons->addWidget(m_cancel);
  auto* side = new QVBoxLayout;
  side->addLayout(form);
  side->addLayout(buttons);
  side->addWidget(m_progress);
  side->addWidget(m_grid, 1);
  side->addWidget(new QLabel(tr("Model")));
  side->addWidget(m_modelPanel, 1);
  auto* side_widget = new QWidget;
  side_widget->setLayout(side);
  auto* splitter = new QSplitter;
  splitter->addWidget(m_levels);
  splitter->addWidget(side_widget);
  splitter->setStretchFactor(0, 3);
  setCentralWidget(splitter);

  auto* file = menuBar()->addMenu(tr("&File"));
  auto* open = file->addAction(tr("&Open checkpoint…"), this, [this] {
    const QString path = QFileDialog::getOpenFileName(this, tr("Open checkpoint"), QString(),
                                                      tr("Checkpoints (*.safetensors)"));
    if (!path.isEmpty()) openCheckpoint(path);
  });
  open->setShortcut(QKeySequence::Open);
  file->addAction(tr("&Quit"), this, &QWidget::close)->setShortcut(QKeySequence::Quit);

  m_device = new QLabel;
  m_seedUsed = new QLabel;
  m_message = new QLabel;
  m_message->setObjectName("message");
  statusBar()->addWidget(m_message, 1);
  statusBar()->addPermanentWidget(m_seedUsed);
  statusBar()->addPermanentWidget(m_device);

  connect(m_sample, &QPushButton::clicked, this, &MainWindow::startSampling);
  connect(m_cancel, &QPushButton::clicked, this, &MainWindow::cancelSampling);
  setSampling(false);
  resize(1100, 700);
}

MainWindow::~MainWindow() {
  m_worker->cancel();
  m_thread.quit();
  m_thread.wait();
}

void MainWindow::openCheckpoint(const QString& path) {
  m_hasModel = false;
  m_sample->setEnabled(false);
  m_message->setText(tr("Opening %1…").arg(path));
  QMetaObject::invokeMethod(m_worker, "load", Qt::QueuedConnection, Q_ARG(QString, path));
}

void MainWindow::startSampling() {
  if (!m_hasModel || m_sampling) return;
  SampleSettings s;
  s.run_id = ++m_runId;
  s.count = m_count->value();
  s.seed = static_cast<quint64>(m_seed->value());
  s.steps = m_steps->value();
  m_levels->clear();
  m_progress->setRange(0, m_summary.levels);
  m_progress->setValue(0);
  setSampling(true);
  QMetaObject::invokeMethod(m_worker, "run", Qt::QueuedConnection,
                            Q_ARG(cdrl::studio::SampleSettings, s));
}

void MainWindow::cancelSampling() {
  if (m_sampling) m_worker->cancel();
}

void MainWindow::onLoaded(const ModelSummary& summary) {
  m_summary = summary;
  m_hasModel = true;
  m_modelPanel->setPlainText(summary.description + "\n\n" + summary.config_json);
  m_device->setText(tr("Device: %1").arg(summary.device));
  m_message->setText(tr("Opened %1").arg(summary.path));
  setWindowTitle(tr("CDRL Studio — %1").arg(summary.path));
  setSampling(false);
  Q_EMIT modelLoaded();
}

void MainWindow::onLevel(const LevelFrame& frame) {
  if (frame.run_id != m_runId) return;  // a stale run
  m_levels->addFrame(frame);
  m_progress->setValue(frame.levels - frame.level + 1);
}

void MainWindow::onFinished(const SampleDone& done) {
  if (done.run_id != m_runId) return;
  setSampling(false);
  m_seedUsed->setText(tr("Seed used: %1").arg(done.seed));
  if (done.cancelled) {
    m_message->setText(
        tr("Cancelled after %1 of %2 levels").arg(done.levels_done).arg(m_summary.levels));
  } else {
    m_message->setText(tr("Sampled %1 levels").arg(done.levels_done));
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
}

}  // namespace cdrl::studio
