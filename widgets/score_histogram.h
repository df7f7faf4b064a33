// In-distribution OOD scores as a histogram with a threshold the user drags, and the scored
// items marked on the same axis: items at or above the threshold count as in-distribution.
#pragma once

#include <QVector>
#include <QWidget>

class QCustomPlot;
class QCPItemStraightLine;

namespace cdrl::studio {

class ScoreHistogram : public QWidget {
  Q_OBJECT
 public:
  explicit ScoreHistogram(QWidget* parent = nullptr);

  // The reference scores; the threshold moves to their 5th percentile (95% of them pass).
  void setReference(const QVector<double>& scores);
  void setMarkers(const QVector<double>& scores);
  double threshold() const { return m_threshold; }
  // The score's name on the axis ("typicality", "energy").
  void setScoreName(const QString& name);
  QString axisLabel() const;
  void setThreshold(double value);
  // Share of reference scores strictly below `score` (0..100).
  double percentile(double score) const;
  int binCount() const { return static_cast<int>(m_bins.size()); }

 Q_SIGNALS:
  void thresholdChanged(double value);

 protected:
  bool eventFilter(QObject* watched, QEvent* event) override;

 private:
  void redraw();

  QCustomPlot* m_plot;
  QCPItemStraightLine* m_line;
  QVector<double> m_sorted;  // reference scores, ascending
  QVector<double> m_bins;
  QVector<double> m_markers;
  double m_threshold = 0;
  bool m_dragging = false;
};

}  // namespace cdrl::studio
