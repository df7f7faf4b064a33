#include "score_histogram.h"

#include "qcustomplot_include.h"

#include <QMouseEvent>
#include <QVBoxLayout>

#include <algorithm>
#include <cmath>

namespace cdrl::studio {

namespace {
constexpr int kBins = 40;
}

ScoreHistogram::ScoreHistogram(QWidget* parent) : QWidget(parent) {
  m_plot = new QCustomPlot(this);
  m_plot->setObjectName("scoreHistogramPlot");
  m_plot->setMinimumHeight(180);
  setScoreName(tr("energy"));
  m_plot->yAxis->setLabel(tr("reference images"));
  m_plot->setToolTip(tr("Drag the red line to set the threshold: scores at or above it pass"));
  auto* bars = new QCPBars(m_plot->xAxis, m_plot->yAxis);
  bars->setName(tr("reference"));
  bars->setBrush(QColor(31, 119, 180, 120));
  bars->setPen(QPen(QColor(31, 119, 180)));
  auto* markers = m_plot->addGraph();
  markers->setName(tr("scored"));
  markers->setLineStyle(QCPGraph::lsImpulse);
  markers->setPen(QPen(QColor(255, 127, 14), 2));
  m_line = new QCPItemStraightLine(m_plot);
  m_line->setPen(QPen(QColor(214, 39, 40), 2));
  m_plot->installEventFilter(this);
  auto* layout = new QVBoxLayout(this);
  layout->setContentsMargins(0, 0, 0, 0);
  layout->addWidget(m_plot);
  redraw();
}

void ScoreHistogram::setReference(const QVector<double>& scores) {
  m_sorted = scores;
  std::sort(m_sorted.begin(), m_sorted.end());
  m_bins.clear();
  if (!m_sorted.isEmpty()) {
    // 95% of the reference passes at the 5th percentile.
    const auto k = static_cast<qsizetype>(std::floor(0.05 * static_cast<double>(m_sorted.size())));
    m_threshold = m_sorted[std::min(k, m_sorted.size() - 1)];
  }
  redraw();
  Q_EMIT thresholdChanged(m_threshold);
}

void ScoreHistogram::setMarkers(const QVector<double>& scores) {
  m_markers = scores;
  redraw();
}

void ScoreHistogram::setThreshold(double value) {
  if (value == m_threshold) return;
  m_threshold = value;
  redraw();
  Q_EMIT thresholdChanged(value);
}

double ScoreHistogram::percentile(double score) const {
  if (m_sorted.isEmpty()) return 0;
  const auto below = std::lower_bound(m_sorted.begin(), m_sorted.end(), score) - m_sorted.begin();
  return 100.0 * static_cast<double>(below) / static_cast<double>(m_sorted.size());
}

void ScoreHistogram::redraw() {
  auto* bars = qobject_cast<QCPBars*>(m_plot->plottable(0));
  double lo = m_threshold - 1, hi = m_threshold + 1;
  if (!m_sorted.isEmpty()) {
    lo = std::min(m_sorted.first(), m_threshold);
    hi = std::max(m_sorted.last(), m_threshold);
  }
  for (double m : m_markers) {
    lo = std::min(lo, m);
    hi = std::max(hi, m);
  }
  if (hi <= lo) hi = lo + 1;
  const double width = (hi - lo) / kBins;
  QVector<double> centres(kBins), counts(kBins, 0);
  for (int b = 0; b < kBins; ++b) centres[b] = lo + (b + 0.5) * width;
  for (double s : m_sorted) counts[std::clamp(static_cast<int>((s - lo) / width), 0, kBins - 1)]++;
  m_bins = m_sorted.isEmpty() ? QVector<double>() : counts;
  bars->setWidth(width);
  bars->setData(centres, m_sorted.isEmpty() ? QVector<double>(kBins, 0) : counts);
  const double top = m_sorted.isEmpty() ? 1 : *std::max_element(counts.begin(), counts.end());
  m_plot->graph(0)->setData(m_markers, QVector<double>(m_markers.size(), top * 1.05));
  m_line->point1->setCoords(m_threshold, 0);
  m_line->point2->setCoords(m_threshold, 1);
  m_plot->xAxis->setRange(lo - width, hi + width);
  m_plot->yAxis->setRange(0, top * 1.15);
  m_plot->replot(QCustomPlot::rpQueuedReplot);
}

bool ScoreHistogram::eventFilter(QObject* watched, QEvent* event) {
  auto x_of = [this](QEvent* e) {
    return m_plot->xAxis->pixelToCoord(static_cast<QMouseEvent*>(e)->position().x());
  };
  switch (event->type()) {
    case QEvent::MouseButtonPress: {
      // Grab the line when pressed within a few pixels of it.
      const double px = m_plot->xAxis->coordToPixel(m_threshold);
      if (std::abs(static_cast<QMouseEvent*>(event)->position().x() - px) < 6) {
        m_dragging = true;
        return true;
      }
      break;
    }
    case QEvent::MouseMove:
      if (m_dragging) {
        setThreshold(x_of(event));
        return true;
      }
      break;
    case QEvent::MouseButtonRelease:
      if (m_dragging) {
        m_dragging = false;
        return true;
      }
      break;
    default:
      break;
  }
  return QWidget::eventFilter(watched, event);
}

void ScoreHistogram::setScoreName(const QString& name) {
  m_plot->xAxis->setLabel(tr("%1 score (higher = more in-distribution)").arg(name));
  m_plot->replot(QCustomPlot::rpQueuedReplot);
}

QString ScoreHistogram::axisLabel() const { return m_plot->xAxis->label(); }

}  // namespace cdrl::studio
