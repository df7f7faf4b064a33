#include "ood_page.h"

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
  auto* compare = new QPushButton(tr("Compare two folders…"));
  compare->setToolTip(tr("AUROC and ROC curve of an in-distribution folder against an OOD one"));
  m_table = new QTableWidget(0, kColumns);
  m_table->setObjectName("oodTable");
  m_table->setHorizontalHeaderLabels(
      {tr("Image"), tr("File"), tr("Score"), tr("Percentile"), tr("Verdict"), tr("Note")});
  m_table->horizontalHeader()->setStretchLastSection(true);
  m_table->setEditTriggers(QAbstractItemView::NoEditTriggers);
  m_table->setIconSize(QSize(40, 40));
  m_roc = new RocPlot;
  m_roc->setObjectName("rocPlot");

  auto* bar = new QHBoxLayout;
  bar->addWidget(new QLabel(tr("Threshold")));
  bar->addWidget(m_threshold);
  bar->addStretch(1);
  bar->addWidget(reference);
  bar->addWidget(own);
  bar->addWidget(compare);
  auto* top = new QHBoxLayout;
  top->addWidget(m_histogram, 2);
  top->addWidget(m_roc, 1);
  auto* layout = new QVBoxLayout(this);
  layout->addWidget(m_status);
  layout->addLayout(bar);
  layout->addLayout(top, 1);
  layout->addWidget(m_table, 1);
  setAcceptDrops(true);

  m_worker = new OodWorker;
  m_worker->moveToThread(&m_thread);
  connect(&m_thread, &QThread::finished, m_worker, &QObject::deleteLater);
  m_thread.start();
  connect(m_worker, &OodWorker::loaded, this, [this](const QString& description) {
    showStatus(tr("Scoring with %1; computing the reference scores…").arg(description));
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
  connect(compare, &QPushButton::clicked, this, [this] {
    const QString in = QFileDialog::getExistingDirectory(this, tr("In-distribution folder"));
    if (in.isEmpty()) return;
    const QString out = QFileDialog::getExistingDirectory(this, tr("Out-of-distribution folder"));
    if (!out.isEmpty()) compareFolders(in, out);
  });
}

OodPage::~OodPage() {
  m_thread.quit();
  m_thread.wait();
}

void OodPage::setCheckpoint(const QString& path) {
  m_hasReference = false;
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

void OodPage::showStatus(const QString& text, bool error) {
  m_status->setText(text);
  m_status->setStyleSheet(error ? "color: #b00020;" : QString());
}

}  // namespace cdrl::studio
