#include "level_atypicality_plot.h"

#include "qcustomplot_include.h"

#include <QVBoxLayout>

#include <algorithm>

namespace cdrl::studio {

namespace {

QCPTextElement* titleOf(QCustomPlot* plot) {
  return qobject_cast<QCPTextElement*>(plot->plotLayout()->element(0, 0));
}

}  // namespace

LevelAtypicalityPlot::LevelAtypicalityPlot(QWidget* parent) : QWidget(parent) {
  m_plot = new QCustomPlot(this);
  m_plot->setObjectName("levelAtypicalityPlot");
  m_plot->setMinimumSize(200, 150);
  m_plot->xAxis->setLabel(tr("noise level (1 = least noise)"));
  m_plot->yAxis->setLabel(tr("atypicality (squared Mahalanobis distance)"));
  m_plot->plotLayout()->insertRow(0);
  m_plot->plotLayout()->addElement(
      0, 0, new QCPTextElement(m_plot, tr("Per level: select a scored image")));
  auto* bars = new QCPBars(m_plot->xAxis, m_plot->yAxis);
  bars->setWidth(0.6);
  bars->setBrush(QColor(31, 119, 180));
  bars->setPen(Qt::NoPen);
  auto* line = m_plot->addGraph();
  line->setPen(QPen(QColor(214, 39, 40), 1, Qt::DashLine));
  auto* layout = new QVBoxLayout(this);
  layout->setContentsMargins(0, 0, 0, 0);
  layout->addWidget(m_plot);
}

void LevelAtypicalityPlot::setLevels(const QVector<double>& values, double reference,
                                     const QString& name) {
  m_values = values;
  auto* bars = qobject_cast<QCPBars*>(m_plot->plottable(0));
  QVector<double> levels;
  for (int l = 0; l < values.size(); ++l) levels.push_back(l + 1);
  bars->setData(levels, values, true);
  if (values.isEmpty()) {
    m_plot->graph(0)->data()->clear();
    titleOf(m_plot)->setText(tr("Per level: select an image scored by the typicality score"));
  } else {
    m_plot->graph(0)->setData({0.5, values.size() + 0.5}, {reference, reference});
    m_plot->xAxis->setRange(0.5, values.size() + 0.5);
    const double top = std::max(reference, *std::max_element(values.begin(), values.end()));
    m_plot->yAxis->setRange(0, 1.1 * top);
    titleOf(m_plot)->setText(tr("%1: most atypical at level %2 (dashed: 95% of typical images "
                                "below)")
                                 .arg(name)
                                 .arg(flaggingLevel()));
  }
  m_plot->replot(QCustomPlot::rpQueuedReplot);
}

int LevelAtypicalityPlot::flaggingLevel() const {
  if (m_values.isEmpty()) return 0;
  return static_cast<int>(std::max_element(m_values.begin(), m_values.end()) - m_values.begin()) +
         1;
}

}  // namespace cdrl::studio
