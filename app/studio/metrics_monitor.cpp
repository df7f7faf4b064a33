#include "metrics_monitor.h"

#include <QDir>
#include <QFileInfo>
#include <QTimer>

#include <limits>

namespace cdrl::studio {

MetricsMonitor::MetricsMonitor(QObject* parent) : QObject(parent) {}
MetricsMonitor::~MetricsMonitor() = default;

void MetricsMonitor::attach(const QString& path) {
  const QFileInfo info(path);
  const QDir folder = info.isDir() ? QDir(path) : info.dir();
  const QString metrics = info.isDir() ? folder.filePath("metrics.jsonl") : path;
  m_tail = std::make_unique<MetricsTail>(metrics.toStdString());
  m_checkpoint = folder.filePath("checkpoint.safetensors");
  m_checkpointTime = {};
  if (!m_timer) {  // created here, on the worker's thread, so it fires there
    m_timer = new QTimer(this);
    connect(m_timer, &QTimer::timeout, this, &MetricsMonitor::poll);
  }
  m_timer->start(kPollMs);
  poll();
}

void MetricsMonitor::detach() {
  if (m_timer) m_timer->stop();
  if (m_tail) poll();  // the last lines written before the run ended
  m_tail.reset();
}

void MetricsMonitor::poll() {
  if (!m_tail) return;
  const MetricsTail::Update update = m_tail->poll();
  if (!update.rows.empty() || update.restarted) {
    MetricPoints points;
    for (size_t r = 0; r < update.rows.size(); ++r) {
      const MetricsRow& row = update.rows[r];
      points.steps.push_back(static_cast<double>(row.step));
      for (const auto& [name, value] : row.values) {
        QVector<double>& series = points.values[QString::fromStdString(name)];
        series.resize(static_cast<qsizetype>(r), std::numeric_limits<double>::quiet_NaN());
        series.push_back(value);
      }
    }
    for (QVector<double>& series : points.values)
      series.resize(points.steps.size(), std::numeric_limits<double>::quiet_NaN());
    Q_EMIT pointsAdded(points, update.restarted);
  }
  const QFileInfo checkpoint(m_checkpoint);
  if (checkpoint.exists() && checkpoint.lastModified() != m_checkpointTime) {
    m_checkpointTime = checkpoint.lastModified();
    Q_EMIT checkpointUpdated(m_checkpoint);
  }
}

}  // namespace cdrl::studio
