// Within one level, the mean energy F and the mean displacement ‖y − ŷ‖ from the proposal against
// the Langevin step: a chain that has converged shows both levelling off.
#pragma once

#include <QVector>
#include <QWidget>

class QCustomPlot;
class QCPItemStraightLine;

namespace cdrl::studio {

class ConvergencePlot : public QWidget {
  Q_OBJECT
 public:
  explicit ConvergencePlot(QWidget* parent = nullptr);

  // energy[k]: mean F before step k + 1; displacement[k]: mean ‖y − ŷ‖ after step k + 1.
  void setChain(int level, const QVector<double>& energy, const QVector<double>& displacement);
  void clear();
  // A vertical line at Langevin step `step` (the one the level view shows).
  void setMarker(double step);
  int energyPoints() const;
  int displacementPoints() const;

 private:
  QCustomPlot* m_plot;
  QCPItemStraightLine* m_marker;
};

}  // namespace cdrl::studio
