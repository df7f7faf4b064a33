// A ROC curve (true- against false-positive rate, in-distribution as positive) with its AUROC and
// FPR at 95% TPR in the title.
#pragma once

#include <QVector>
#include <QWidget>

class QCustomPlot;

namespace cdrl::studio {

class RocPlot : public QWidget {
  Q_OBJECT
 public:
  explicit RocPlot(QWidget* parent = nullptr);
  void setCurve(const QVector<double>& fpr, const QVector<double>& tpr, double auroc,
                double fpr_at_95);
  int pointCount() const;

 private:
  QCustomPlot* m_plot;
};

}  // namespace cdrl::studio
