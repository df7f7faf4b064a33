#include "roc_plot.h"

#include "qcustomplot_include.h"

#include <QVBoxLayout>

namespace cdrl::studio {

RocPlot::RocPlot(QWidget* parent) : QWidget(parent) {
  m_plot = new QCustomPlot(this);
  m_plot->setObjectName("rocCurvePlot");
  m_plot->setMinimumSize(200, 180);
  m_plot->xAxis->setLabel(tr("false-positive rate (out-set passing)"));
  m_plot->yAxis->setLabel(tr("true-positive rate (in-set passing)"));
  m_plot->xAxis->setRange(0, 1);
  m_plot->yAxis->setRange(0, 1);
  m_plot->plotLayout()->insertRow(0);
  m_plot->plotLayout()->addElement(0, 0, new QCPTextElement(m_plot, tr("ROC: drop two folders")));
  auto* chance = m_plot->addGraph();
  chance->setPen(QPen(Qt::gray, 1, Qt::DashLine));
  chance->setData({0, 1}, {0, 1});
  auto* curve = m_plot->addGraph();
  curve->setPen(QPen(QColor(31, 119, 180), 2));
  auto* layout = new QVBoxLayout(this);
  layout->setContentsMargins(0, 0, 0, 0);
  layout->addWidget(m_plot);
}

void RocPlot::setCurve(const QVector<double>& fpr, const QVector<double>& tpr, double auroc,
                       double fpr_at_95) {
  m_plot->graph(1)->setData(fpr, tpr, true);
  auto* title = qobject_cast<QCPTextElement*>(m_plot->plotLayout()->element(0, 0));
  title->setText(
      tr("AUROC %1   FPR at 95% TPR %2").arg(auroc, 0, 'f', 4).arg(fpr_at_95, 0, 'f', 4));
  m_plot->replot(QCustomPlot::rpQueuedReplot);
}

int RocPlot::pointCount() const { return m_plot->graph(1)->dataCount(); }

}  // namespace cdrl::studio
