#include "training_page.h"

#include "cdrl/preset.h"
#include "metrics_monitor.h"
#include "sample_worker.h"
#include "train_worker.h"
#include "training_form.h"
#include "training_plots.h"

#include <QDir>
#include <QFileDialog>
#include <QFileInfo>
#include <QHBoxLayout>
#include <QLabel>
#include <QProgressBar>
#include <QPushButton>
#include <QVBoxLayout>

namespace cdrl::studio {

namespace {

// How many samples the preview grid of the latest checkpoint shows.
constexpr int kPreviewSamples = 16;

// The form's plain data as core's request; zero counts mean "the preset's or run's own".
TrainRequest toRequest(const TrainingFormState& s) {
  TrainRequest r;
  r.data = s.data.toStdString();
  r.out = s.out.toStdString();
  if (s.resume) {
    r.resume = QDir(s.out).filePath("checkpoint.safetensors").toStdString();
  } else {  // a resumed run keeps its own networks
    r.preset = s.preset.toStdString();
    r.conditional = s.conditional;
  }
  if (s.steps > 0) r.overrides.steps = s.steps;
  if (s.log_every > 0) r.overrides.log_every = s.log_every;
  if (s.checkpoint_every > 0) r.overrides.checkpoint_every = s.checkpoint_every;
  return r;
}

}  // namespace

TrainingPage::TrainingPage(QWidget* parent) : QWidget(parent) {
  m_form = new TrainingForm;
  m_form->setObjectName("trainingForm");
  QStringList presets;
  for (const auto& name : presetNames()) presets << QString::fromStdString(name);
  m_form->setPresets(presets);
  m_plots = new TrainingPlots;
  m_plots->setObjectName("trainingPlots");
  m_progress = new QProgressBar;
  m_progress->setObjectName("trainingProgress");
  m_status = new QLabel(tr("Train here, or attach to a run started with cdrl train."));
  m_status->setObjectName("trainingStatus");
  m_status->setWordWrap(true);
  m_grid = new QLabel;
  m_grid->setObjectName("trainingGrid");
  m_grid->setAlignment(Qt::AlignCenter);
  m_grid->setMinimumSize(180, 180);
  m_gridCaption = new QLabel;
  m_gridCaption->setWordWrap(true);
  auto* export_png = new QPushButton(tr("Curves as PNG…"));
  export_png->setToolTip(tr("Save the curves as an image"));
  auto* export_csv = new QPushButton(tr("Curves as CSV…"));
  export_csv->setToolTip(tr("Save every series as columns step,<metric>,…"));

  auto* side = new QVBoxLayout;
  side->addWidget(m_form);
  side->addWidget(m_progress);
  side->addWidget(m_status);
  side->addWidget(new QLabel(tr("Samples of the latest checkpoint")));
  side->addWidget(m_grid, 1);
  side->addWidget(m_gridCaption);
  auto* exports = new QHBoxLayout;
  exports->addWidget(export_png);
  exports->addWidget(export_csv);
  side->addLayout(exports);
  auto* layout = new QHBoxLayout(this);
  layout->addLayout(side);
  layout->addWidget(m_plots, 1);

  m_trainer = new TrainWorker;
  m_trainer->moveToThread(&m_trainThread);
  connect(&m_trainThread, &QThread::finished, m_trainer, &QObject::deleteLater);
  m_monitor = new MetricsMonitor;
  m_monitor->moveToThread(&m_monitorThread);
  connect(&m_monitorThread, &QThread::finished, m_monitor, &QObject::deleteLater);
  m_preview = new SampleWorker;
  m_preview->moveToThread(&m_previewThread);
  connect(&m_previewThread, &QThread::finished, m_preview, &QObject::deleteLater);
  m_trainThread.start();
  m_monitorThread.start();
  m_previewThread.start();

  connect(m_form, &TrainingForm::startRequested, this, &TrainingPage::start);
  connect(m_form, &TrainingForm::stopRequested, this, &TrainingPage::stop);
  connect(m_form, &TrainingForm::attachRequested, this, &TrainingPage::attach);
  connect(m_trainer, &TrainWorker::started, this,
          [this](const QString& description, const QString& metrics) {
            showStatus(tr("Training %1").arg(description));
            QMetaObject::invokeMethod(m_monitor, "attach", Q_ARG(QString, metrics));
          });
  connect(m_trainer, &TrainWorker::progress, this, [this](qint64 step, qint64 total) {
    m_progress->setRange(0, static_cast<int>(total));
    m_progress->setValue(static_cast<int>(step));
  });
  connect(m_trainer, &TrainWorker::finished, this, [this](const QString& message, bool stopped) {
    QMetaObject::invokeMethod(m_monitor, "detach");
    showStatus(message);
    setTraining(false);
    Q_EMIT trainingFinished(stopped);
  });
  connect(m_trainer, &TrainWorker::failed, this, [this](const QString& message) {
    QMetaObject::invokeMethod(m_monitor, "detach");
    showStatus(message, true);
    setTraining(false);
    Q_EMIT trainingFinished(true);
  });
  connect(m_monitor, &MetricsMonitor::pointsAdded, this, &TrainingPage::onPoints);
  connect(m_monitor, &MetricsMonitor::checkpointUpdated, this, &TrainingPage::onCheckpoint);
  connect(m_monitor, &MetricsMonitor::runDescribed, this, [this](const TrainingFormState& state) {
    if (!m_training) m_form->setState(state);  // following: the form shows the followed run
  });
  connect(m_preview, &SampleWorker::loaded, this,
          [this](const ModelSummary& summary) { m_gridCaption->setText(summary.description); });
  connect(m_preview, &SampleWorker::finished, this, [this](const SampleDone& done) {
    m_previewBusy = false;
    if (done.grid.isNull())
      m_grid->setText(tr("2-D model: open the checkpoint in the Sampling tab"));
    else
      m_grid->setPixmap(QPixmap::fromImage(done.grid).scaled(m_grid->size(), Qt::KeepAspectRatio,
                                                             Qt::SmoothTransformation));
    if (!m_previewPending.isEmpty()) onCheckpoint(std::exchange(m_previewPending, QString()));
  });
  connect(m_preview, &SampleWorker::failed, this, [this](const QString& message) {
    m_previewBusy = false;
    m_gridCaption->setText(tr("Preview: %1").arg(message));
  });
  connect(export_png, &QPushButton::clicked, this, [this] {
    const QString path =
        QFileDialog::getSaveFileName(this, tr("Save curves"), "curves.png", tr("PNG (*.png)"));
    if (!path.isEmpty() && !m_plots->savePng(path))
      showStatus(tr("Cannot write %1").arg(path), true);
  });
  connect(export_csv, &QPushButton::clicked, this, [this] {
    const QString path =
        QFileDialog::getSaveFileName(this, tr("Save curves"), "curves.csv", tr("CSV (*.csv)"));
    if (!path.isEmpty() && !m_plots->saveCsv(path))
      showStatus(tr("Cannot write %1").arg(path), true);
  });
  setTraining(false);
}

TrainingPage::~TrainingPage() {
  m_trainer->stop();
  m_preview->cancel();
  for (QThread* thread : {&m_trainThread, &m_monitorThread, &m_previewThread}) {
    thread->quit();
    thread->wait();
  }
}

void TrainingPage::attach(const QString& path) {
  if (m_training) {
    showStatus(tr("Stop the run in progress before following another"), true);
    return;
  }
  if (!QFileInfo::exists(path)) {
    showStatus(tr("%1 does not exist").arg(path), true);
    return;
  }
  m_plots->clear();
  showStatus(tr("Following %1").arg(path));
  QMetaObject::invokeMethod(m_monitor, "attach", Q_ARG(QString, path));
}

void TrainingPage::start(const TrainingFormState& state) {
  if (m_training) return;
  if (state.out.isEmpty()) {
    showStatus(tr("Choose an output folder first"), true);
    return;
  }
  const bool has_checkpoint = QFileInfo::exists(QDir(state.out).filePath("checkpoint.safetensors"));
  if (state.resume && !has_checkpoint) {
    showStatus(tr("%1 holds no checkpoint to continue").arg(state.out), true);
    return;
  }
  if (!state.resume && has_checkpoint) {
    showStatus(tr("%1 already holds a run: tick \"Continue\" to resume it, or choose another "
                  "folder")
                   .arg(state.out),
               true);
    return;
  }
  QMetaObject::invokeMethod(m_monitor, "detach");
  m_plots->clear();
  m_progress->reset();
  setTraining(true);
  showStatus(tr("Loading data…"));
  const TrainRequest request = toRequest(state);
  QMetaObject::invokeMethod(m_trainer, [worker = m_trainer, request] { worker->train(request); });
}

void TrainingPage::stop() { m_trainer->stop(); }

void TrainingPage::onPoints(const MetricPoints& points, bool restarted) {
  if (restarted) m_plots->clear();
  m_plots->append(points);
}

void TrainingPage::onCheckpoint(const QString& path) {
  if (m_previewBusy) {
    m_previewPending = path;
    return;
  }
  m_previewBusy = true;
  SampleSettings settings;
  settings.count = kPreviewSamples;
  QMetaObject::invokeMethod(m_preview, "load", Q_ARG(QString, path));
  QMetaObject::invokeMethod(m_preview, "run", Q_ARG(cdrl::studio::SampleSettings, settings));
}

void TrainingPage::setTraining(bool on) {
  m_training = on;
  m_form->setRunning(on);
}

void TrainingPage::showStatus(const QString& text, bool error) {
  m_status->setText(text);
  m_status->setStyleSheet(error ? "color: #b00020;" : QString());
}

}  // namespace cdrl::studio
