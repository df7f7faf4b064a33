#include "ood_page.h"

#include "level_atypicality_plot.h"
#include "roc_plot.h"
#include "score_histogram.h"

#include <QDoubleSpinBox>
#include <QDragEnterEvent>
#include <QDropEvent>
#include <QFileDialog>
#include <QHBoxLayout>
#include <QHeaderView>
#include <QLabel>
#include <QMimeData>
#include <QProgressBar>
#include <QPushButton>
#include <QTableWidget>
#include <QVBoxLayout>

namespace cdrl::studio {

namespace {
enum Column { kImage, kName, kScore, kPercentile, kVerdict, kNote, kColumns };
}

OodPage::OodPage(QWidget* parent) : QWidget(parent) {
  m_status = new QLabel(tr("Open a model, then drop images or folders here."));
  m_status->setObjectName("oodStatus");
  m_status->setWordWrap(true);
  m_histogram = new ScoreHistogram;
  m_histogram->setObjectName("scoreHistogram");
  m_threshold = new QDoubleSpinBox;
  m_threshold->setObjectName("thresholdBox");
  m_threshold->setRange(-1e9, 1e9);
  m_threshold->setDecimals(3);
  m_threshold->setToolTip(tr("Scores at or above this count as in-distribution"));
  auto* reference = new QPushButton(tr("Reference folder…"));
  reference->setToolTip(tr("Score a folder of in-distribution images as the reference"));
  auto* own = new QPushButton(tr("Model's data"));
  own->setToolTip(tr("Use the held-out part of the model's training data as the reference"));
  auto* add = new QPushButton(tr("Add images…"));
  add->setObjectName("addImagesButton");
  add->setToolTip(tr("Score image files (or drop images and folders on this view)"));
  auto* compare = new QPushButton(tr("Compare two folders…"));
  compare->setToolTip(tr("AUROC and ROC curve of an in-distribution folder against an OOD one"));
  m_table = new QTableWidget(0, kColumns);
  m_table->setObjectName("oodTable");
  m_table->setHorizontalHeaderLabels(
      {tr("Image"), tr("File"), tr("Score"), tr("Percentile"), tr("Verdict"), tr("Note")});
  m_table->horizontalHeader()->setStretchLastSection(true);
  m_table->setEditTriggers(QAbstractItemView::NoEditTriggers);
  m_table->setIconSize(QSize(40, 40));
  m_table->setSelectionBehavior(QAbstractItemView::SelectRows);
  m_table->setSelectionMode(QAbstractItemView::SingleSelection);
  m_roc = new RocPlot;
  m_roc->setObjectName("rocPlot");
  m_levels = new LevelAtypicalityPlot;
  m_levels->setObjectName("levelAtypicality");

  auto* bar = new QHBoxLayout;
  bar->addWidget(new QLabel(tr("Threshold")));
  bar->addWidget(m_threshold);
  bar->addStretch(1);
  bar->addWidget(add);
  bar->addWidget(reference);
  bar->addWidget(own);
  bar->addWidget(compare);
  auto* top = new QHBoxLayout;
  top->addWidget(m_histogram, 2);
  top->addWidget(m_roc, 1);
  auto* bottom = new QHBoxLayout;
  bottom->addWidget(m_table, 2);
  bottom->addWidget(m_levels, 1);
  auto* layout = new QVBoxLayout(this);
  layout->addWidget(m_status);
  layout->addWidget(makeCalibrationBar());
  layout->addLayout(bar);
  layout->addLayout(top, 1);
  layout->addLayout(bottom, 1);
  setAcceptDrops(true);

  m_worker = new OodWorker;
  m_worker->moveToThread(&m_thread);
  connect(&m_thread, &QThread::finished, m_worker, &QObject::deleteLater);
  m_thread.start();
  connect(m_worker, &OodWorker::loaded, this, [this](const OodModelInfo& info) {
    onModel(info);
    showStatus(tr("Scoring with %1; computing the reference scores…").arg(info.description));
    Q_EMIT modelLoaded();
  });
  connect(m_worker, &OodWorker::calibrationProgress, this, [this](int done, int total) {
    m_calibrationProgress->setRange(0, total);
    m_calibrationProgress->setValue(done);
  });
  connect(m_worker, &OodWorker::calibrated, this,
          [this](const OodModelInfo& info, const QString& note) {
            onModel(info);
            showStatus(tr("Calibrated: %1; %2.").arg(info.calibration, note));
            setReferenceSource(QString());
            Q_EMIT calibrationDone();
          });
  connect(m_worker, &OodWorker::referenceReady, this, [this](const OodReference& r) {
    m_hasReference = true;
    m_histogram->setReference(r.scores);
    showStatus(tr("Reference: %1 images of %2%3. Drop images or folders to score them.")
                   .arg(r.scores.size())
                   .arg(r.source)
                   .arg(r.unreadable ? tr(" (%1 unreadable skipped)").arg(r.unreadable) : ""));
    updateVerdicts();
    Q_EMIT referenceReady();
  });
  connect(m_worker, &OodWorker::scored, this, &OodPage::onScored);
  connect(m_worker, &OodWorker::compared, this, [this](const OodComparison& c) {
    m_roc->setCurve(c.fpr, c.tpr, c.auroc, c.fpr_at_95);
    showStatus(tr("%1 (%2 images) against %3 (%4): AUROC %5, FPR at 95% TPR %6%7")
                   .arg(c.in_source)
                   .arg(c.in_count)
                   .arg(c.out_source)
                   .arg(c.out_count)
                   .arg(c.auroc, 0, 'f', 4)
                   .arg(c.fpr_at_95, 0, 'f', 4)
                   .arg(c.unreadable ? tr("; %1 unreadable skipped").arg(c.unreadable) : ""));
    Q_EMIT compared();
  });
  connect(m_worker, &OodWorker::failed, this, [this](const QString& message) {
    onModel(m_info);  // ends a calibration's progress display
    showStatus(message, true);
    Q_EMIT failed(message);
  });
  connect(m_histogram, &ScoreHistogram::thresholdChanged, this, [this](double v) {
    const QSignalBlocker block(m_threshold);
    m_threshold->setValue(v);
    updateVerdicts();
  });
  connect(m_threshold, qOverload<double>(&QDoubleSpinBox::valueChanged), m_histogram,
          &ScoreHistogram::setThreshold);
  connect(reference, &QPushButton::clicked, this, [this] {
    const QString dir = QFileDialog::getExistingDirectory(this, tr("In-distribution folder"));
    if (!dir.isEmpty()) setReferenceSource(dir);
  });
  connect(own, &QPushButton::clicked, this, [this] { setReferenceSource(QString()); });
  connect(add, &QPushButton::clicked, this, [this] {
    // Window-modal, not a nested event loop: the UI keeps drawing while it is open.
    auto* dialog = new QFileDialog(
        this, tr("Images to score"), QString(),
        tr("Images (*.png *.jpg *.jpeg *.bmp *.pgm *.ppm *.tif *.tiff *.webp);;All files (*)"));
    dialog->setObjectName("addImagesDialog");
    dialog->setFileMode(QFileDialog::ExistingFiles);
    dialog->setAttribute(Qt::WA_DeleteOnClose);
    connect(dialog, &QFileDialog::filesSelected, this, [this](const QStringList& files) {
      if (!files.isEmpty()) scorePaths(files);
    });
    dialog->open();
  });
  connect(m_table, &QTableWidget::itemSelectionChanged, this, &OodPage::showRowLevels);
  connect(compare, &QPushButton::clicked, this, [this] {
    const QString in = QFileDialog::getExistingDirectory(this, tr("In-distribution folder"));
    if (in.isEmpty()) return;
    const QString out = QFileDialog::getExistingDirectory(this, tr("Out-of-distribution folder"));
    if (!out.isEmpty()) compareFolders(in, out);
  });
}

OodPage::~OodPage() {
  m_worker->cancel();
  m_thread.quit();
  m_thread.wait();
}

QWidget* OodPage::makeCalibrationBar() {
  m_scoreInfo = new QLabel;
  m_scoreInfo->setObjectName("scoreInfo");
  m_scoreInfo->setWordWrap(true);
  m_calibrateOwn = new QPushButton(tr("Calibrate on the model's data"));
  m_calibrateOwn->setObjectName("calibrateOwnButton");
  m_calibrateOwn->setToolTip(
      tr("Fit the typicality score on the held-out part of the model's "
         "training data and cache it beside the checkpoint"));
  m_calibrateFolder = new QPushButton(tr("Calibrate on a folder…"));
  m_calibrateFolder->setToolTip(
      tr("Fit the typicality score on a folder of in-distribution "
         "images"));
  m_calibrationProgress = new QProgressBar;
  m_calibrationProgress->setObjectName("calibrationProgress");
  m_cancelCalibration = new QPushButton(tr("Cancel"));
  m_cancelCalibration->setObjectName("cancelCalibrationButton");
  connect(m_calibrateOwn, &QPushButton::clicked, this, [this] { calibrate(QString()); });
  connect(m_calibrateFolder, &QPushButton::clicked, this, [this] {
    const QString dir = QFileDialog::getExistingDirectory(this, tr("In-distribution folder"));
    if (!dir.isEmpty()) calibrate(dir);
  });
  connect(m_cancelCalibration, &QPushButton::clicked, this, &OodPage::cancelCalibration);
  auto* bar = new QWidget;
  auto* layout = new QHBoxLayout(bar);
  layout->setContentsMargins(0, 0, 0, 0);
  layout->addWidget(m_scoreInfo, 1);
  layout->addWidget(m_calibrateOwn);
  layout->addWidget(m_calibrateFolder);
  layout->addWidget(m_calibrationProgress);
  layout->addWidget(m_cancelCalibration);
  onModel(m_info);
  return bar;
}

void OodPage::onModel(const OodModelInfo& info) {
  m_info = info;
  m_scoreInfo->setText(
      info.calibrated
          ? tr("Score: typicality — how typical every noise level finds the image (higher = more "
               "in-distribution), calibrated on %1.")
                .arg(info.calibration)
          : tr("Score: lowest-level energy (this model has no calibration; it cannot flag inputs "
               "far from the data, such as noise). Calibrate for the typicality score."));
  m_histogram->setScoreName(info.calibrated ? tr("typicality") : tr("energy"));
  m_calibrateOwn->setVisible(!info.calibrated);
  m_calibrateFolder->setVisible(!info.calibrated);
  m_calibrationProgress->setVisible(false);
  m_cancelCalibration->setVisible(false);
}

void OodPage::calibrate(const QString& source) {
  m_calibrateOwn->setVisible(false);
  m_calibrateFolder->setVisible(false);
  m_calibrationProgress->setRange(0, 0);
  m_calibrationProgress->setVisible(true);
  m_cancelCalibration->setVisible(true);
  showStatus(tr("Calibrating on %1…").arg(source.isEmpty() ? tr("the model's data") : source));
  m_worker->clearCancel();
  QMetaObject::invokeMethod(m_worker, "calibrate", Q_ARG(QString, source));
}

void OodPage::cancelCalibration() { m_worker->cancel(); }

void OodPage::setCheckpoint(const QString& path) {
  m_hasReference = false;
  m_scores.clear();
  m_table->setRowCount(0);
  m_levels->setLevels({}, 0, QString());
  QMetaObject::invokeMethod(m_worker, "load", Q_ARG(QString, path));
  setReferenceSource(QString());
}

void OodPage::setReferenceSource(const QString& source) {
  showStatus(tr("Computing the reference scores…"));
  QMetaObject::invokeMethod(m_worker, "reference", Q_ARG(QString, source));
}

void OodPage::scorePaths(const QStringList& paths) {
  showStatus(tr("Scoring %1 item(s)…").arg(paths.size()));
  QMetaObject::invokeMethod(m_worker, "score", Q_ARG(QStringList, paths));
}

void OodPage::compareFolders(const QString& in_source, const QString& out_source) {
  showStatus(tr("Comparing %1 with %2…").arg(in_source, out_source));
  QMetaObject::invokeMethod(m_worker, "compare", Q_ARG(QString, in_source),
                            Q_ARG(QString, out_source));
}

void OodPage::dragEnterEvent(QDragEnterEvent* event) {
  for (const QUrl& url : event->mimeData()->urls())
    if (!url.isLocalFile()) return;
  if (event->mimeData()->hasUrls()) event->acceptProposedAction();
}

void OodPage::dropEvent(QDropEvent* event) {
  QStringList paths;
  for (const QUrl& url : event->mimeData()->urls()) paths << url.toLocalFile();
  event->acceptProposedAction();
  scorePaths(paths);
}

void OodPage::onScored(const QVector<OodScore>& scores) {
  int unreadable = 0;
  for (const OodScore& s : scores) {
    const int row = m_table->rowCount();
    m_table->insertRow(row);
    auto* image = new QTableWidgetItem;
    if (!s.thumbnail.isNull())
      image->setIcon(QPixmap::fromImage(s.thumbnail.scaled(40, 40, Qt::KeepAspectRatio)));
    m_table->setItem(row, kImage, image);
    m_table->setItem(row, kName, new QTableWidgetItem(s.name));
    if (s.error.isEmpty()) {
      m_table->setItem(row, kScore, new QTableWidgetItem(QString::number(s.score, 'g', 6)));
      m_table->setItem(row, kNote, new QTableWidgetItem(s.note));
    } else {
      ++unreadable;
      m_table->setItem(row, kVerdict, new QTableWidgetItem(tr("unreadable")));
      m_table->setItem(row, kNote, new QTableWidgetItem(s.error));
    }
    m_scores.push_back(s);
  }
  m_table->resizeRowsToContents();
  m_table->scrollToBottom();
  updateVerdicts();
  showStatus(tr("Scored %1 item(s)%2")
                 .arg(scores.size() - unreadable)
                 .arg(unreadable ? tr("; %1 unreadable, listed as such").arg(unreadable) : ""));
  Q_EMIT scored();
}

void OodPage::updateVerdicts() {
  QVector<double> markers;
  const double threshold = m_histogram->threshold();
  for (int row = 0; row < m_scores.size(); ++row) {
    const OodScore& s = m_scores[row];
    if (!s.error.isEmpty()) continue;
    markers.push_back(s.score);
    if (!m_hasReference) continue;
    m_table->setItem(
        row, kPercentile,
        new QTableWidgetItem(QString::number(m_histogram->percentile(s.score), 'f', 1)));
    m_table->setItem(row, kVerdict,
                     new QTableWidgetItem(s.score >= threshold ? tr("in-distribution")
                                                               : tr("out-of-distribution")));
  }
  m_histogram->setMarkers(markers);
}

void OodPage::showRowLevels() {
  const auto rows = m_table->selectionModel()->selectedRows();
  if (rows.isEmpty()) return;
  const OodScore& s = m_scores[rows.front().row()];
  m_levels->setLevels(s.per_level, m_info.level_reference, s.name.section('/', -1));
}

QString OodPage::verdict(int row) const {
  const QTableWidgetItem* item = m_table->item(row, kVerdict);
  return item ? item->text() : QString();
}

void OodPage::showStatus(const QString& text, bool error) {
  m_status->setText(text);
  m_status->setStyleSheet(error ? "color: #b00020;" : QString());
}

}  // namespace cdrl::studio
