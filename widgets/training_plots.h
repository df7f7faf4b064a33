// Live training curves (docs/metrics-format.md): panels of named metric series against the
// optimiser step — losses, energies, initializer error overall and per level, learning rates,
// throughput — with smoothing, log scale, zoom and pan, and export as PNG and CSV.
#pragma once

#include <QHash>
#include <QPointF>
#include <QString>
#include <QVector>
#include <QWidget>

class QCheckBox;
class QCustomPlot;
class QSlider;

namespace cdrl::studio {

// New points of named series ("loss_ebm", "level3/init_error", …), plain data.
struct MetricPoints {
  QVector<double> steps;
  QHash<QString, QVector<double>> values;  // each as long as `steps`; NaN where a line lacks it
  // ≥ 0: a resumed run restarted from this step, so held points after it are dropped first.
  double superseded_after = -1;
};

class TrainingPlots : public QWidget {
  Q_OBJECT
 public:
  explicit TrainingPlots(QWidget* parent = nullptr);

  void clear();
  void append(const MetricPoints& points);
  // Points held for `series` (raw, before smoothing).
  int pointCount(const QString& series) const;
  int panelCount() const;
  // Exponential smoothing factor in [0, 1): 0 shows the raw values.
  void setSmoothing(double factor);
  double smoothing() const { return m_smoothing; }
  void setLogScale(bool on);
  // Every series as columns step,<series>… (one row per step seen); false if not writable.
  bool saveCsv(const QString& path) const;
  bool savePng(const QString& path);

 protected:
  bool eventFilter(QObject* watched, QEvent* event) override;

 private:
  struct Panel {
    QString title;
    QStringList series;  // exact names, or "levelN/<field>" patterns written as "level*/<field>"
    bool positive;       // values are > 0, so a log scale applies
    QCustomPlot* plot;
  };
  bool panelShows(const Panel& panel, const QString& series) const;
  void redraw(Panel& panel);
  void resetView();
  static void fitAxes(QCustomPlot* plot);

  QVector<Panel> m_panels;
  QHash<QString, QVector<QPointF>> m_data;  // (step, value) per series
  double m_smoothing = 0;
  bool m_log = false;
  bool m_userView = false;  // the user zoomed or panned: new points do not rescale
  QSlider* m_smoothSlider;
  QCheckBox* m_logBox;
};

}  // namespace cdrl::studio

Q_DECLARE_METATYPE(cdrl::studio::MetricPoints)
