// How atypical one image is at each noise level (levels 1 … T as bars), with the line above which
// a typical input falls only 5% of the time: which level flags it.
#pragma once

#include <QString>
#include <QVector>
#include <QWidget>

class QCustomPlot;

namespace cdrl::studio {

class LevelAtypicalityPlot : public QWidget {
  Q_OBJECT
 public:
  explicit LevelAtypicalityPlot(QWidget* parent = nullptr);
  // values[l] for level l + 1; `reference` the 95% line; `name` the image's name for the title.
  // Empty values: a hint instead.
  void setLevels(const QVector<double>& values, double reference, const QString& name);
  QVector<double> values() const { return m_values; }
  // The level (1 … T) with the largest value, 0 when there is none.
  int flaggingLevel() const;

 private:
  QCustomPlot* m_plot;
  QVector<double> m_values;
};

}  // namespace cdrl::studio
