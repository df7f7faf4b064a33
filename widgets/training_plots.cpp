#include "training_plots.h"

#include "qcustomplot_include.h"

#include <QCheckBox>
#include <QFile>
#include <QGridLayout>
#include <QHBoxLayout>
#include <QLabel>
#include <QMap>
#include <QPushButton>
#include <QSlider>
#include <QTextStream>
#include <QVBoxLayout>

#include <cmath>

namespace cdrl::studio {

namespace {

const QColor kPalette[] = {{31, 119, 180},  {214, 39, 40}, {44, 160, 44},   {255, 127, 14},
                           {148, 103, 189}, {140, 86, 75}, {227, 119, 194}, {127, 127, 127}};

// Human names of the fields in docs/metrics-format.md.
QString legendName(const QString& series) {
  static const QHash<QString, QString> names = {
      {"loss_ebm", "L_θ"},        {"loss_init", "L_φ"},           {"init_error", "‖ŷ − y⁺‖²"},
      {"energy_pos", "F(y⁺)"},    {"energy_neg", "F(ỹ)"},         {"lr_ebm", "EBM"},
      {"lr_init", "initializer"}, {"samples_per_s", "examples/s"}};
  if (series.startsWith("level")) return "level " + series.section('/', 0, 0).mid(5);
  return names.value(series, series);
}

}  // namespace

TrainingPlots::TrainingPlots(QWidget* parent) : QWidget(parent) {
  qRegisterMetaType<MetricPoints>();
  m_panels = {
      {tr("EBM loss"), {"loss_ebm"}, false, nullptr},
      {tr("Initializer loss and error"), {"loss_init", "init_error"}, true, nullptr},
      {tr("Energies of positive and negative samples"),
       {"energy_pos", "energy_neg"},
       false,
       nullptr},
      {tr("Initializer error per level"), {"level*/init_error"}, true, nullptr},
      {tr("Learning rates"), {"lr_ebm", "lr_init"}, true, nullptr},
      {tr("Throughput"), {"samples_per_s"}, true, nullptr},
  };
  auto* grid = new QGridLayout;
  for (int k = 0; k < m_panels.size(); ++k) {
    auto* plot = new QCustomPlot;
    plot->setObjectName(QString("trainingPlot%1").arg(k));
    plot->setMinimumSize(240, 160);
    plot->setInteractions(QCP::iRangeDrag | QCP::iRangeZoom);
    plot->plotLayout()->insertRow(0);
    plot->plotLayout()->addElement(0, 0, new QCPTextElement(plot, m_panels[k].title));
    plot->xAxis->setLabel(tr("step"));
    plot->legend->setVisible(true);
    plot->legend->setFont(font());
    plot->legend->setBrush(QColor(255, 255, 255, 170));  // curves stay visible beneath it
    plot->setToolTip(tr("Drag to pan, wheel to zoom, double-click to fit"));
    plot->installEventFilter(this);
    m_panels[k].plot = plot;
    grid->addWidget(plot, k / 2, k % 2);
  }

  m_smoothSlider = new QSlider(Qt::Horizontal);
  m_smoothSlider->setObjectName("smoothingSlider");
  m_smoothSlider->setRange(0, 99);
  m_smoothSlider->setToolTip(tr("Exponential smoothing of the curves (0 = raw values)"));
  connect(m_smoothSlider, &QSlider::valueChanged, this, [this](int v) { setSmoothing(v / 100.0); });
  m_logBox = new QCheckBox(tr("Log scale"));
  m_logBox->setObjectName("logScaleBox");
  m_logBox->setToolTip(tr("Logarithmic value axis for the panels whose values are positive"));
  connect(m_logBox, &QCheckBox::toggled, this, &TrainingPlots::setLogScale);
  auto* fit = new QPushButton(tr("Fit"));
  fit->setToolTip(tr("Show every point again after zooming or panning"));
  connect(fit, &QPushButton::clicked, this, &TrainingPlots::resetView);
  auto* bar = new QHBoxLayout;
  bar->addWidget(new QLabel(tr("Smoothing")));
  bar->addWidget(m_smoothSlider, 1);
  bar->addWidget(m_logBox);
  bar->addWidget(fit);

  auto* layout = new QVBoxLayout(this);
  layout->setContentsMargins(0, 0, 0, 0);
  layout->addLayout(bar);
  layout->addLayout(grid, 1);
}

bool TrainingPlots::panelShows(const Panel& panel, const QString& series) const {
  for (const QString& pattern : panel.series) {
    if (pattern == series) return true;
    if (pattern.startsWith("level*/") && series.startsWith("level") &&
        series.section('/', 1) == pattern.section('/', 1))
      return true;
  }
  return false;
}

void TrainingPlots::clear() {
  m_data.clear();
  m_userView = false;
  for (Panel& panel : m_panels) {
    panel.plot->clearGraphs();
    panel.plot->replot();
  }
}

void TrainingPlots::append(const MetricPoints& points) {
  if (points.superseded_after >= 0)
    for (QVector<QPointF>& series : m_data)
      series.removeIf([&](const QPointF& p) { return p.x() > points.superseded_after; });
  for (auto it = points.values.cbegin(); it != points.values.cend(); ++it) {
    QVector<QPointF>& series = m_data[it.key()];
    for (int k = 0; k < points.steps.size() && k < it.value().size(); ++k)
      if (std::isfinite(it.value()[k])) series.push_back({points.steps[k], it.value()[k]});
  }
  for (Panel& panel : m_panels) redraw(panel);
}

int TrainingPlots::pointCount(const QString& series) const {
  return static_cast<int>(m_data.value(series).size());
}

int TrainingPlots::panelCount() const { return static_cast<int>(m_panels.size()); }

void TrainingPlots::setSmoothing(double factor) {
  m_smoothing = std::clamp(factor, 0.0, 0.99);
  const int slider = static_cast<int>(std::lround(m_smoothing * 100));
  if (m_smoothSlider->value() != slider) m_smoothSlider->setValue(slider);
  for (Panel& panel : m_panels) redraw(panel);
}

void TrainingPlots::setLogScale(bool on) {
  m_log = on;
  if (m_logBox->isChecked() != on) m_logBox->setChecked(on);
  for (Panel& panel : m_panels) {
    const bool log = on && panel.positive;
    panel.plot->yAxis->setScaleType(log ? QCPAxis::stLogarithmic : QCPAxis::stLinear);
    if (log)
      panel.plot->yAxis->setTicker(QSharedPointer<QCPAxisTickerLog>(new QCPAxisTickerLog));
    else
      panel.plot->yAxis->setTicker(QSharedPointer<QCPAxisTicker>(new QCPAxisTicker));
    redraw(panel);
  }
}

void TrainingPlots::redraw(Panel& panel) {
  // Series in a stable order (level 1, 2, … sort as strings up to 9 levels, enough for T = 6).
  QStringList names;
  for (auto it = m_data.cbegin(); it != m_data.cend(); ++it)
    if (panelShows(panel, it.key())) names << it.key();
  std::sort(names.begin(), names.end());
  QCustomPlot* plot = panel.plot;
  while (plot->graphCount() < names.size()) {
    auto* graph = plot->addGraph();
    graph->setPen(QPen(kPalette[(plot->graphCount() - 1) % 8], 1.5));
  }
  const bool log = m_log && panel.positive;
  for (int g = 0; g < names.size(); ++g) {
    QVector<double> x, y;
    double smooth = 0;
    bool first = true;
    for (const QPointF& p : m_data.value(names[g])) {
      if (log && p.y() <= 0) continue;
      smooth = first ? p.y() : m_smoothing * smooth + (1 - m_smoothing) * p.y();
      first = false;
      x.push_back(p.x());
      y.push_back(smooth);
    }
    plot->graph(g)->setName(legendName(names[g]));
    // A line needs two points: the first one of a run is drawn as a dot.
    plot->graph(g)->setScatterStyle(x.size() < 2 ? QCPScatterStyle(QCPScatterStyle::ssDisc, 6)
                                                 : QCPScatterStyle(QCPScatterStyle::ssNone));
    plot->graph(g)->setData(x, y, true);
  }
  if (!m_userView) fitAxes(plot);
  plot->replot(QCustomPlot::rpQueuedReplot);
}

void TrainingPlots::fitAxes(QCustomPlot* plot) {
  plot->rescaleAxes();
  // One point (or a flat series) gives an empty range: widen it around the value.
  for (QCPAxis* axis : {plot->xAxis, plot->yAxis}) {
    const QCPRange range = axis->range();
    if (range.size() > 0) continue;
    const double pad = std::max(1.0, std::abs(range.center()) * 0.1);
    axis->setRange(axis->scaleType() == QCPAxis::stLogarithmic
                       ? QCPRange(range.center() / 2, range.center() * 2)
                       : QCPRange(range.center() - pad, range.center() + pad));
  }
}

void TrainingPlots::resetView() {
  m_userView = false;
  for (Panel& panel : m_panels) {
    fitAxes(panel.plot);
    panel.plot->replot();
  }
}

bool TrainingPlots::eventFilter(QObject* watched, QEvent* event) {
  if (event->type() == QEvent::MouseButtonDblClick) {
    resetView();
    return true;
  }
  // Once the user zooms or pans, new points stop rescaling until "Fit" or a double-click.
  if (event->type() == QEvent::Wheel || event->type() == QEvent::MouseButtonPress)
    m_userView = true;
  return QWidget::eventFilter(watched, event);
}

bool TrainingPlots::saveCsv(const QString& path) const {
  QFile file(path);
  if (!file.open(QIODevice::WriteOnly | QIODevice::Text)) return false;
  QStringList names = m_data.keys();
  std::sort(names.begin(), names.end());
  QMap<double, QHash<QString, double>> rows;
  for (const QString& name : names)
    for (const QPointF& p : m_data.value(name)) rows[p.x()][name] = p.y();
  QTextStream out(&file);
  out << "step";
  for (const QString& name : names) out << ',' << name;
  out << '\n';
  for (auto it = rows.cbegin(); it != rows.cend(); ++it) {
    out << QString::number(it.key(), 'g', 12);
    for (const QString& name : names)
      out << ',' << (it.value().contains(name) ? QString::number(it.value()[name], 'g', 9) : "");
    out << '\n';
  }
  return out.status() == QTextStream::Ok;
}

bool TrainingPlots::savePng(const QString& path) { return grab().save(path, "PNG"); }

}  // namespace cdrl::studio
