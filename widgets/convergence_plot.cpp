#include "convergence_plot.h"

#include "qcustomplot_include.h"

#include <QVBoxLayout>

namespace cdrl::studio {

ConvergencePlot::ConvergencePlot(QWidget* parent) : QWidget(parent) {
  m_plot = new QCustomPlot(this);
  m_plot->setObjectName("convergencePlot");
  m_plot->setMinimumHeight(140);
  m_plot->setToolTip(tr("Energy and distance from the proposal per Langevin step of this level"));
  m_plot->xAxis->setLabel(tr("Langevin step"));
  m_plot->yAxis->setLabel(tr("mean F"));
  m_plot->yAxis2->setLabel(tr("mean ‖y − ŷ‖"));
  m_plot->yAxis2->setVisible(true);
  auto* energy = m_plot->addGraph(m_plot->xAxis, m_plot->yAxis);
  energy->setName(tr("energy F"));
  energy->setPen(QPen(QColor(31, 119, 180), 2));
  auto* displacement = m_plot->addGraph(m_plot->xAxis, m_plot->yAxis2);
  displacement->setName(tr("displacement"));
  displacement->setPen(QPen(QColor(214, 39, 40), 2));
  m_marker = new QCPItemStraightLine(m_plot);
  m_marker->setPen(QPen(QColor(127, 127, 127), 1, Qt::DashLine));
  m_marker->setVisible(false);
  m_plot->legend->setVisible(true);
  m_plot->legend->setFont(font());
  auto* layout = new QVBoxLayout(this);
  layout->setContentsMargins(0, 0, 0, 0);
  layout->addWidget(m_plot);
}

void ConvergencePlot::setChain(int level, const QVector<double>& energy,
                               const QVector<double>& displacement) {
  QVector<double> before, after;
  for (int k = 0; k < energy.size(); ++k) before.push_back(k);
  for (int k = 0; k < displacement.size(); ++k) after.push_back(k + 1);
  m_plot->graph(0)->setData(before, energy, true);
  m_plot->graph(1)->setData(after, displacement, true);
  m_plot->xAxis->setRange(0, std::max<int>(1, std::max(energy.size(), displacement.size())));
  m_plot->graph(0)->rescaleValueAxis();
  m_plot->graph(1)->rescaleValueAxis();
  m_plot->xAxis->setLabel(tr("Langevin step at level %1").arg(level));
  m_plot->replot();
}

void ConvergencePlot::clear() { setChain(0, {}, {}); }

void ConvergencePlot::setMarker(double step) {
  m_marker->point1->setCoords(step, 0);
  m_marker->point2->setCoords(step, 1);
  m_marker->setVisible(true);
  m_plot->replot(QCustomPlot::rpQueuedReplot);
}

int ConvergencePlot::energyPoints() const { return m_plot->graph(0)->dataCount(); }
int ConvergencePlot::displacementPoints() const { return m_plot->graph(1)->dataCount(); }

}  // namespace cdrl::studio
